"""Overlays: a stage's graph coloured by what XLA made of it or by what each equation costs.

``values`` gives a number (or, for fusions, a kernel name) per IR node; ``colour`` repaints a
layout's boxes with it, a closed group taking the sum over what it holds (one kernel's
colour when everything in it runs in one kernel), and returns the legend that goes with it.
The app, the CLI's ``export --color-by`` and the API all go through here, so a file shows the
colours the window shows.
"""

from __future__ import annotations

import dataclasses
import math

from ..ir.graph import Stage
from ..layout.engine import Layout
from ..model.graph_model import GraphModel
from ..xla.below import analysed_of, compiled_of, costs, placements, program_graph
from ..xla.fusion_map import DEAD, FOLDED
from ..xla.memory import timeline
from ..xla.residuals import has_backward, residuals

OVERLAYS = {
    "kind": "kind of operation",
    "fusion": "XLA kernel (fusion)",
    "flops": "FLOPs",
    "transcendentals": "transcendentals",
    "bytes": "bytes read + written",
    "memory": "live memory while it runs",
    "residuals": "residuals (saved for the backward pass)",
    "values": "values: largest magnitude (red: NaN or Inf)",
    "communication": "communication: collective bytes per device",
}
NONFINITE = "#ef4444"  # an equation whose results hold a NaN or an Inf
# magnitudes in blues (ColorBrewer Blues, dark text readable on each): red stays for NaN/Inf
COOL = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6"]
# light to strong, dark text stays readable on each (ColorBrewer YlOrRd)
RESIDUAL_EDGE = "#c026d3"  # a value the forward pass saves, on its way to the backward pass
HEAT = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a"]
ZERO = "#ffffff"
KERNELS = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"]
REMOVED, SEVERAL = "#f3f4f6", "#e5e7eb"
KERNEL_LEGEND_MAX = 10


class OverlayError(ValueError):
    """An overlay the stage has no data for; the message says how to get it."""


def available(stages: list[Stage], index: int) -> list[str]:
    """The overlays that have data for stage ``index``."""
    stage = stages[index]
    names = ["kind"]
    if not stage.is_jaxpr:
        return names
    analysed = analysed_of(stages)
    compiled = compiled_of(stages)
    if analysed is stage and compiled is not None:
        names.append("fusion")
        if compiled.reference.get("collectives"):
            names.append("communication")
    if stage.costs:
        names += ["flops", "transcendentals", "bytes"]
    names.append("memory")
    if has_backward(stage):
        names.append("residuals")
    return names


def values(name: str, stages: list[Stage], index: int) -> dict[str, float | str]:
    """What the overlay ``name`` gives each IR node of stage ``index``."""
    if name not in available(stages, index):
        raise OverlayError(_missing(name, stages[index]))
    stage = stages[index]
    if name == "fusion":
        return {k: p.kernel if p.kernel else p.status
                for k, p in placements(compiled_of(stages)).items()}
    if name in ("flops", "transcendentals"):
        return {k: getattr(c, name) for k, c in costs(stage).items()}
    if name == "bytes":
        return {k: c.bytes for k, c in costs(stage).items()}
    if name == "memory":
        return {s.node: float(s.live) for s in timeline(program_graph(stage)).steps}
    if name == "communication":
        return communication(compiled_of(stages).reference["collectives"])
    if name == "residuals":
        found: dict = {}
        listed = residuals(stage.graph)
        for r in listed:
            found[r.producer] = float(found.get(r.producer, 0)) + r.bytes
        # not node values: the edges to highlight, and the total (read by _residual_edges)
        found["__edges__"] = [(r.producer, reader, r.name) for r in listed for reader in r.readers]
        found["__total__"] = float(sum(r.bytes for r in listed))
        return found
    return {}


def communication(collectives: list[dict]) -> dict[str, float]:
    """Bytes per device each equation's collectives move: one that serves several equations
    (XLA merged their all-reduces) is shared out among them, so the colours sum to the
    program's traffic."""
    found: dict[str, float] = {}
    for c in collectives:
        for nid in c["equations"]:
            found[nid] = found.get(nid, 0.0) + c["bytes"] / len(c["equations"])
    return found


def _missing(name: str, stage: Stage) -> str:
    if name not in OVERLAYS:
        return f"no overlay {name!r}; known: {', '.join(OVERLAYS)}"
    if not stage.is_jaxpr:
        return f"{name}: overlays colour jaxpr stages; {stage.title} is {stage.dialect}"
    if name == "residuals":
        return f"{stage.title} has no backward pass: residuals need a grad in the pipeline"
    if name == "communication":
        return (f"communication: {stage.title} has no collectives; partition it (jit with "
                f"in_shardings over --host-devices, or shard_map) and end in '| compile'")
    return (f"{name}: {stage.title} was not compiled; end the pipeline in '| compile' "
            f"(e.g. grad | jit | compile) and pick the stage before it")


def colour(layout: Layout, model: GraphModel, name: str, node_values: dict) -> Layout:
    """The layout with its boxes repainted by the overlay, and its legend in ``overlay``."""
    if name == "kind":
        return layout
    shown = _per_box(model, node_values, layout) if name != "values" else \
        _largest_per_box(model, node_values)
    if name == "values":
        fills, entries = _value_fills(shown)
    elif name == "fusion":
        fills, entries = _kernel_fills(shown, layout)
    else:
        fills, entries = _heat_fills(shown, name)
    # every equation and closed group takes the overlay's colours: one left in its kind's
    # colour would read as a value of the scale
    blank = ZERO if name != "fusion" else REMOVED
    nodes = {k: dataclasses.replace(b, fill=fills[k]) if k in fills else
             dataclasses.replace(b, fill=blank) if b.kind in ("eqn", "group") else b
             for k, b in layout.nodes.items()}
    edges = layout.edges
    if name == "residuals":
        edges, entry = _residual_edges(layout, model, node_values)
        entries.append(entry)
    return dataclasses.replace(layout, nodes=nodes, edges=edges,
                               overlay={"title": OVERLAYS[name], "entries": entries})


def _largest_per_box(model: GraphModel, node_values: dict) -> dict[str, float | str]:
    """Per drawn box, the largest magnitude of what it holds, or ``"nonfinite"`` when any
    result inside holds a NaN or an Inf (a closed group shows the worst of its members)."""
    shown: dict[str, float | str] = {}
    for nid, value in node_values.items():
        box = model.representative(nid)
        if value == "nonfinite" or shown.get(box) == "nonfinite":
            shown[box] = "nonfinite"
        else:
            shown[box] = max(float(value), float(shown.get(box, 0.0)))
    return shown


def _value_fills(shown: dict) -> tuple[dict[str, str], list[list[str]]]:
    fills, entries = _heat_fills({k: v for k, v in shown.items() if v != "nonfinite"},
                                 "values", COOL)
    bad = [k for k, v in shown.items() if v == "nonfinite"]
    fills.update(dict.fromkeys(bad, NONFINITE))
    if bad:
        entries.append(["NaN or Inf", NONFINITE])
    return fills, entries


def value_magnitudes(equations: dict[str, list[dict]]) -> dict[str, float | str]:
    """An evaluation's statistics (``trace/values.py``) as this overlay's values: each
    equation's largest finite magnitude, or ``"nonfinite"``."""
    out: dict[str, float | str] = {}
    for nid, stats in equations.items():
        if any(s.get("nan") or s.get("posinf") or s.get("neginf") for s in stats):
            out[nid] = "nonfinite"
        else:
            out[nid] = max((s.get("absmax", 0.0) for s in stats), default=0.0)
    return out


def _residual_edges(layout: Layout, model: GraphModel, node_values: dict):
    """The drawn edges that carry a residual from the forward to the backward pass."""
    crossing = node_values.get("__edges__", [])
    wanted = {(model.representative(src), model.representative(dst), var)
              for src, dst, var in crossing if src in model.nodes and dst in model.nodes}
    bundles = {(src, dst) for src, dst, _ in wanted}  # a bundle holding one is one
    edges = [dataclasses.replace(e, highlight=RESIDUAL_EDGE)
             if (e.src, e.dst, e.var) in wanted or ("…" in e.var and (e.src, e.dst) in bundles)
             else e for e in layout.edges]
    total = node_values.get("__total__", 0.0)
    count = sum(1 for e in edges if e.highlight)
    return edges, [f"a residual on its way to the backward pass ({count} edges drawn; "
                   f"{_short(float(total))}B saved in all)", RESIDUAL_EDGE]


def _per_box(model: GraphModel, node_values: dict, layout: Layout) -> dict[str, object]:
    """Values per drawn box: a node's own, a closed group's gathered from what it holds
    (numbers summed, kernels as a set). A call's own value already holds its body's, so its
    body is not counted again in the same box."""
    per: dict[str, object] = {}
    for nid, value in node_values.items():
        if nid.startswith("__"):
            continue
        box = model.representative(nid) if nid in model.nodes else None
        if box is None or box not in layout.nodes or _counted_by_holder(nid, box, model,
                                                                          node_values):
            continue
        if isinstance(value, str):
            per.setdefault(box, set()).add(value)
        else:
            per[box] = float(per.get(box, 0.0)) + value
    return per


def _counted_by_holder(nid: str, box: str, model: GraphModel, node_values: dict) -> bool:
    parts = nid.split("/")
    for k in range(1, len(parts) // 2 + 1):
        holder = "/".join(parts[:2 * k - 1])
        if holder in node_values and model.representative(holder) == box and \
                not isinstance(node_values[holder], str):
            return True
    return False


def _heat_fills(shown: dict, name: str, heat: list[str] = HEAT
                ) -> tuple[dict[str, str], list[list[str]]]:
    numbers = [v for v in shown.values() if isinstance(v, float) and v > 0]
    if not numbers:
        return {k: ZERO for k in shown}, [[f"{OVERLAYS[name]}: none", ZERO]]
    low, high = math.log10(min(numbers)), math.log10(max(numbers))
    steps = len(heat) if high > low else 1
    edges = [low + (high - low) * i / steps for i in range(steps + 1)]

    def bin_of(v: float) -> int:
        if v <= 0:
            return -1
        where = (math.log10(v) - low) / (high - low) * steps if high > low else 0
        return min(steps - 1, int(where))
    fills = {k: heat[bin_of(v)] if bin_of(v) >= 0 else ZERO for k, v in shown.items()
             if isinstance(v, float)}
    unit = "B" if name in ("bytes", "memory", "residuals", "communication") else ""
    entries = [[_range(10 ** edges[i], 10 ** edges[i + 1], unit), heat[i]]
               for i in range(steps) if heat[i] in fills.values()]
    entries.insert(0, [f"0{unit} or none" if name != "residuals" else "not saved", ZERO])
    return fills, entries


def _range(low: float, high: float, unit: str) -> str:
    """``512–690B``; one value when every box has the same (``20.5kB``)."""
    if _short(low) == _short(high):
        return f"{_short(low)}{unit}"
    return f"{_short(low)}–{_short(high)}{unit}"


def _kernel_fills(shown: dict, layout: Layout) -> tuple[dict[str, str], list[list[str]]]:
    order: list[str] = []
    for box in layout.nodes:  # kernels coloured in drawing order: neighbours differ
        kernels = shown.get(box)
        if isinstance(kernels, set) and len(kernels) == 1:
            (kernel,) = kernels
            if kernel not in (DEAD, FOLDED) and kernel not in order:
                order.append(kernel)
    palette = {k: KERNELS[i % len(KERNELS)] for i, k in enumerate(order)}
    fills: dict[str, str] = {}
    for box, kernels in shown.items():
        if not isinstance(kernels, set):
            continue
        if len(kernels) > 1:
            fills[box] = SEVERAL
        else:
            (kernel,) = kernels
            fills[box] = palette.get(kernel, REMOVED)
    entries = [[k, palette[k]] for k in order[:KERNEL_LEGEND_MAX]]
    if len(order) > KERNEL_LEGEND_MAX:
        entries.append([f"… {len(order) - KERNEL_LEGEND_MAX} more kernels (colours repeat)",
                        KERNELS[KERNEL_LEGEND_MAX % len(KERNELS)]])
    if SEVERAL in fills.values():
        entries.append(["several kernels", SEVERAL])
    if REMOVED in fills.values():
        entries.append(["removed by XLA (dead or folded)", REMOVED])
    return fills, entries


def _short(value: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.3g}"
