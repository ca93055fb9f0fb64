"""The small real models of ``tests/data/models`` (flax linen + optax, flax nnx, equinox,
haiku, a loop of layers) as their default picture shows them: boxes drawn, the sheet's size
and aspect, the default PNG's megapixels, and the checker's defects at every depth.

    python benchmarks/real_models.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jaxviz.core.export.images import default_dpi  # noqa: E402
from jaxviz.core.layout.check import check_layout  # noqa: E402
from jaxviz.core.layout.engine import layout_model  # noqa: E402
from jaxviz.core.model.graph_model import GraphModel  # noqa: E402
from tests.trace.test_hierarchy import CASES, MODELS  # noqa: E402

OPENINGS = [("default", {}), ("depth 0", {"depth": 0}), ("depth 1", {"depth": 1}),
            ("depth 2", {"depth": 2}), ("all open", {"expand_all": True})]


def _graph(name: str):
    from jaxviz.trace.session import trace_source

    function, args, pipeline = CASES[name]
    path = MODELS / f"{name}.py"
    stages, error = trace_source(path.read_text(), str(path), function, args, pipeline)
    assert error is None, error
    return stages[-1].graph, f"{pipeline}({function})"


def _defects(graph, opening: dict) -> tuple:
    model = GraphModel(graph, **opening)
    layout = layout_model(model)
    d = check_layout(layout, {g: x.parent for g, x in model.groups.items()})
    return len(layout.nodes), d


def main() -> None:
    print("| model | boxes | sheet (pt) | aspect | PNG (MP) | defects: default / d0 / d1 / d2 / "
          "all |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in sorted(CASES):
        graph, title = _graph(name)
        found = [_defects(graph, opening) for _, opening in OPENINGS]
        boxes, d = found[0]
        dpi = default_dpi(d.width, d.height)
        mp = d.width * d.height * (dpi / 72) ** 2 / 1e6
        defects = " / ".join(str(x.edges_through_nodes + x.node_overlaps + x.group_overlaps
                                 + x.stubs) for _, x in found)
        print(f"| {name} `{title}` | {boxes} | {d.width:,.0f} × {d.height:,.0f} | "
              f"{d.aspect:.2f} | {mp:.1f} | {defects} |")


if __name__ == "__main__":
    main()
