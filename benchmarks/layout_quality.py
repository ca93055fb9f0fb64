"""Layout quality: our layered engine against dot on the same visible graphs.

    python benchmarks/layout_quality.py [--markdown benchmarks/layout_quality.md] [--quick]

For each graph (the tutorial polynomial's grad, MLP grads, nested control flow under grad, a
transformer grad with groups closed and open, flat transformers, and real models with every
group closed: one where the closed group makes the visible graph cyclic) and each engine: edges
through unrelated nodes, node overlaps, group boxes over nodes they do not hold, stubs, edge
crossings, edge labels a line runs through, width × height, aspect, and seconds. dot is run
with splines (polyline) and no stubs; it is skipped past ``DOT_LIMIT`` visible nodes, where
it takes minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.data.programs import (  # noqa: E402
    CONTROL,
    MLP_NESTED,
    TRANSFORMER_FLAT,
    TRANSFORMER_NESTED,
)

DOT_LIMIT = 1500  # visible nodes

POLY = "def f(x):\n    return 4*x**3 + 3*x**2 + 2*x + 1\n"
# one scope on both sides of a flow through the outside: closed, the view has a cycle
ROUND_THE_OUTSIDE = """
def f(x):
    with jax.named_scope('s'):
        a = jnp.sin(x)
    b = jnp.cos(a) * 2
    with jax.named_scope('s'):
        c = b + a
    return c
"""
MODELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "models"

# (name, source, function, args, pipeline, opening: True for every group open, a depth
# for the groups below it closed, False for the default)
GRAPHS = [
    ("scope round the outside, closed", ROUND_THE_OUTSIDE, "f", "f32[4]", "", 0),
    ("polynomial grad", POLY, "f", "2.0", "grad", False),
    ("control flow grad", CONTROL, "f", "jnp.ones(3)", "grad", True),
    ("mlp ×6 grad", MLP_NESTED, "mlp", "make(6), f32[16,32]", "grad", False),
    ("mlp ×6 grad, open", MLP_NESTED, "mlp", "make(6), f32[16,32]", "grad", True),
    ("transformer ×12 grad", TRANSFORMER_NESTED, "transformer", "make(12), f32[16,32]",
     "grad", False),
    ("transformer ×12 grad, open", TRANSFORMER_NESTED, "transformer", "make(12), f32[16,32]",
     "grad", True),
    ("transformer flat ×40", TRANSFORMER_FLAT, "transformer", "make(40), f32[16,32]", "", True),
    ("mlp ×100 grad, open", MLP_NESTED, "mlp", "make(100), f32[16,32]", "grad", True),
    ("transformer flat ×400, open", TRANSFORMER_FLAT, "transformer", "make(400), f32[16,32]",
     "", True),
    ("layer loop grad, closed", (MODELS / "layer_loop.py").read_text(), "loss",
     "params, f32[4,16]", "grad", 0),
    ("flax train step, closed", (MODELS / "flax_train.py").read_text(), "train_step",
     "params, opt_state, f32[8,16], i32[8]", "jit", 0),
    ("nnx encoder grad, depth 1", (MODELS / "nnx_encoder.py").read_text(), "loss",
     "state, f32[4,8,16]", "grad", 1),
]


def measure(engine: str, model) -> dict:
    from jaxviz.core.layout.check import check_layout
    from jaxviz.core.layout.engine import LayoutOptions, layout_model

    options = LayoutOptions(engine=engine)
    start = time.perf_counter()
    layout = layout_model(model, options)
    seconds = time.perf_counter() - start
    parents = {gid: g.parent for gid, g in model.groups.items()}
    row = check_layout(layout, parents).to_dict()
    row.update(seconds=round(seconds, 3), visible=len(layout.nodes))
    return row


def rows(quick: bool):
    from jaxviz.core.model.graph_model import GraphModel
    from jaxviz.trace.session import trace_source

    for name, source, function, args, pipeline, opening in GRAPHS[:6] if quick else GRAPHS:
        stages, error = trace_source(source, "<bench>", function, args, pipeline)
        assert error is None, error
        model = GraphModel(stages[-1].graph, expand_all=opening is True,
                           depth=None if isinstance(opening, bool) else opening)
        visible = len(model.visible().nodes)
        for engine in ("layered", "dot"):
            if engine == "dot" and visible > DOT_LIMIT:
                yield name, engine, None
                continue
            yield name, engine, measure(engine, model)


COLUMNS = ("visible", "edges_through_nodes", "node_overlaps", "group_overlaps",
           "label_overlaps", "labels_crossed", "stubs",
           "crossings", "width", "height", "aspect", "seconds")


def markdown(table) -> str:
    head = "| graph | engine | " + " | ".join(c.replace("_", " ") for c in COLUMNS) + " |"
    lines = [head, "|" + " --- |" * (len(COLUMNS) + 2)]
    for name, engine, row in table:
        cells = ["(not run: too big for dot)"] + [""] * (len(COLUMNS) - 1) if row is None \
            else [f"{row[c]:,.0f}" if c in ("width", "height") else
                  "n/a" if row[c] is None else str(row[c]) for c in COLUMNS]
        lines.append(f"| {name} | {engine} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", default="benchmarks/layout_quality.md")
    parser.add_argument("--quick", action="store_true", help="the six smallest graphs")
    args = parser.parse_args()
    table = []
    for name, engine, row in rows(args.quick):
        print(name, engine, row, flush=True)
        table.append((name, engine, row))
    text = markdown(table)
    Path(args.markdown).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
