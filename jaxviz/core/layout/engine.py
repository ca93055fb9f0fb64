"""Layout of a visible graph: positions, sizes, edge routes and cluster boxes.

Two engines, one result type:

- ``layered`` (the default, ``auto`` too), our own layered layout for compound graphs
  (``layout.layered``): linear in the drawing, no edge through a node it does not touch, no
  box over another, group boxes apart (``benchmarks/layout_quality.py`` counts all of it).
- ``dot`` through pygraphviz, kept as an option: polyline splines, ``nslimit=1``, fixed-size
  boxes whose text we measure ourselves, read from dot's ``plain`` output; edges spanning more
  than ``cut_span`` ranks are cut into stubs only when ``cut_span`` is set.

pygraphviz holds the GIL while it works, so this module runs in a worker process, never on
the window's thread.
"""

from __future__ import annotations

import math
import time

from ..model.graph_model import GraphModel, VisibleGraph
from .geometry import (  # the layout's types, re-exported: they were defined here
    CHAR_W,
    CLUSTER_LABEL_H,
    CLUSTER_PAD,
    FONT_PT,
    LINE_H,
    NODE_SEP,
    PAD_X,
    PAD_Y,
    RANK_SEP,
    STUB_H,
    STUB_W,
    ClusterBox,
    EdgePath,
    Layout,
    LayoutOptions,
    NodeBox,
    box_for,
    cluster_label_width,
    node_size,
    split_long_edges,
)
from .ranks import ranks, ranks_for_layers


def layout_model(model: GraphModel, options: LayoutOptions | None = None) -> Layout:
    """Lay out what the model shows now."""
    return layout_visible(model.visible(), options or LayoutOptions())


def layout_visible(view: VisibleGraph, options: LayoutOptions) -> Layout:
    start = time.perf_counter()
    engine = "dot" if options.engine == "dot" else "layered"
    if engine == "dot":
        from .dot import run_dot
        result = run_dot(view, options, ranks(view))
    else:
        from .layered import run_layered
        result = run_layered(view, options, ranks_for_layers(view))
    result.clusters = cluster_boxes(view, result.nodes,
                                    widen=engine == "layered" and options.rankdir == "TB",
                                    columns=result.columns, axis=result.columns_axis)
    for edge in result.edges:
        clip_edge(edge, result.nodes[edge.src], result.nodes[edge.dst])
        edge.points = simplified(edge.points)
    if options.edge_labels:
        from .labels import place_labels
        place_labels(result.nodes, result.edges, vertical=options.rankdir == "TB")
    _fit_bounds(result)
    result.engine, result.seconds = engine, time.perf_counter() - start
    result.options = options.to_dict()
    return result


def _clip(box: NodeBox, toward: list[float]) -> list[float]:
    """Where the line from the box's centre to ``toward`` leaves the box (or ellipse)."""
    dx, dy = toward[0] - box.x, toward[1] - box.y
    if dx == 0 and dy == 0:
        return [box.x, box.y]
    hw, hh = box.w / 2, box.h / 2
    if box.shape == "ellipse":
        t = 1.0 / math.sqrt((dx / hw) ** 2 + (dy / hh) ** 2)
    else:
        t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    t = min(t, 1.0)
    return [round(box.x + dx * t, 1), round(box.y + dy * t, 1)]


def simplified(points: list[list[float]]) -> list[list[float]]:
    """The polyline without its points that lie on the straight line between their
    neighbours (a long edge's lanes, one above the other, give many): the same drawing."""
    if len(points) < 3:
        return points
    out = [points[0]]
    for here, after in zip(points[1:], points[2:]):
        before = out[-1]
        cross = (here[0] - before[0]) * (after[1] - before[1]) - \
            (here[1] - before[1]) * (after[0] - before[0])
        if abs(cross) > 0.01 * (abs(after[0] - before[0]) + abs(after[1] - before[1]) + 1):
            out.append(here)
    out.append(points[-1])
    return out


def clip_edge(edge: EdgePath, src: NodeBox, dst: NodeBox) -> None:
    """Start and end the edge on the boxes' borders, not at their centres."""
    pts = edge.points
    if len(pts) < 2:
        return
    pts[0] = _clip(src, pts[1])
    pts[-1] = _clip(dst, pts[-2])


PIECE = "#part"  # a torn group's box in a later column: its id, then this and the column


def cluster_boxes(view: VisibleGraph, boxes: dict[str, NodeBox], widen: bool = True,
                  columns: list[list[float]] | None = None, axis: str = "x"
                  ) -> list[ClusterBox]:
    """Each open group's box: around its members and nested groups, with room for its label:
    widened to the label when ranks run down (``widen``, the layered engine made room for it
    across the ranks), else the label shortened to the box (widening it would reach into the
    next rank). A group a wrapped drawing tore across columns gets one box per column."""
    members: dict[str, list[list[float]]] = {}
    for b in boxes.values():
        if b.cluster in view.clusters:
            members.setdefault(b.cluster, []).append(
                [b.x - b.w / 2, b.y - b.h / 2, b.x + b.w / 2, b.y + b.h / 2])
    out: list[ClusterBox] = []
    for group in sorted(view.clusters.values(), key=lambda g: -g.depth):  # innermost first
        pieces = _by_column(members.get(group.id, []), columns or [], axis)
        for k, (column, rects) in enumerate(pieces):
            gid = group.id if k == 0 else f"{group.id}{PIECE}{column}"
            box = _cluster_box(gid, group, rects, widen)
            out.append(box)
            if group.parent in view.clusters:
                members.setdefault(group.parent, []).append([box.x, box.y, box.x + box.w,
                                                             box.y + box.h])
    return sorted(out, key=lambda c: c.depth)


def _by_column(rects: list[list[float]], columns: list[list[float]], axis: str
               ) -> list[tuple[int, list[list[float]]]]:
    """The rectangles grouped by the column their centre lies in (one group: no columns)."""
    if not columns:
        return [(0, rects)] if rects else []
    at = 0 if axis == "x" else 1
    found: dict[int, list[list[float]]] = {}
    for r in rects:
        centre = (r[at] + r[at + 2]) / 2
        column = next((j for j, (lo, hi) in enumerate(columns) if lo - 1 <= centre <= hi + 1),
                      0)
        found.setdefault(column, []).append(r)
    return sorted(found.items())


def _cluster_box(gid: str, group, rects: list[list[float]], widen: bool) -> ClusterBox:
    x0, y0 = min(r[0] for r in rects), min(r[1] for r in rects)
    x1, y1 = max(r[2] for r in rects), max(r[3] for r in rects)
    label = group.label
    if widen:
        x1 = max(x1, x0 - 2 * CLUSTER_PAD + cluster_label_width(label))
    else:
        label = _fit_label(label, x1 - x0)
    return ClusterBox(gid, label, x0 - CLUSTER_PAD, y0 - CLUSTER_PAD - CLUSTER_LABEL_H,
                      x1 - x0 + 2 * CLUSTER_PAD, y1 - y0 + 2 * CLUSTER_PAD + CLUSTER_LABEL_H,
                      group.depth)


def _fit_label(label: str, width: float) -> str:
    """The label, cut with an ellipsis to what ``width`` points hold."""
    room = int(width // (CHAR_W * 1.1))
    return label if len(label) <= room else label[:max(room - 1, 0)] + "…"


def _fit_bounds(layout: Layout) -> None:
    """Shift everything so the drawing starts at a small margin, and size the canvas to fit."""
    xs0 = [b.x - b.w / 2 for b in layout.nodes.values()] + [c.x for c in layout.clusters]
    ys0 = [b.y - b.h / 2 for b in layout.nodes.values()] + [c.y for c in layout.clusters]
    xs1 = [b.x + b.w / 2 for b in layout.nodes.values()] + [c.x + c.w for c in layout.clusters]
    ys1 = [b.y + b.h / 2 for b in layout.nodes.values()] + [c.y + c.h for c in layout.clusters]
    points = [p for e in layout.edges for p in e.points]  # tracks round the side, detours
    if points:
        xs0.append(min(x for x, _ in points))
        xs1.append(max(x for x, _ in points))
        ys0.append(min(y for _, y in points))
        ys1.append(max(y for _, y in points))
    if not xs0:
        layout.width = layout.height = 0.0
        return
    margin = 12.0
    dx, dy = margin - min(xs0), margin - min(ys0)
    for b in layout.nodes.values():
        b.x, b.y = round(b.x + dx, 1), round(b.y + dy, 1)
    for c in layout.clusters:
        c.x, c.y = round(c.x + dx, 1), round(c.y + dy, 1)
    for e in layout.edges:
        e.points = [[round(x + dx, 1), round(y + dy, 1)] for x, y in e.points]
        e.stubs = [[round(x + dx, 1), round(y + dy, 1)] for x, y in e.stubs]
        if e.label_at is not None:
            e.label_at = [round(e.label_at[0] + dx, 1), round(e.label_at[1] + dy, 1)]
    layout.width = round(max(xs1) - min(xs0) + 2 * margin, 1)
    layout.height = round(max(ys1) - min(ys0) + 2 * margin, 1)


__all__ = [  # what the rest of jaxviz imports from here
    "FONT_PT", "CHAR_W", "LINE_H", "PAD_X", "PAD_Y", "STUB_W", "STUB_H", "NODE_SEP", "RANK_SEP",
    "CLUSTER_PAD", "CLUSTER_LABEL_H", "LayoutOptions", "NodeBox", "EdgePath", "ClusterBox",
    "Layout", "cluster_label_width", "node_size", "box_for", "split_long_edges",
]
