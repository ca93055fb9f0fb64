"""Counting what would make a picture lie: edges through nodes they do not touch, boxes over
boxes, group boxes over nodes they do not hold, edge crossings, and the aspect ratio.

Read off a ``Layout`` alone (what the app draws and the exporters write), so the counts are
those of the picture itself. A grid of cells keeps every count near linear in the drawing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from .engine import PIECE, Layout
from .geometry import segment_hits_rect

CELL = 160.0  # points: grid cell for the spatial index
EPS = 0.5  # points: a segment that grazes a border is not "through" the box


@dataclass
class LayoutDefects:
    edges_through_nodes: int  # segments crossing the box of a node that is not their end
    node_overlaps: int  # pairs of node boxes that overlap
    group_overlaps: int  # node boxes a group box covers without holding the node
    stubs: int  # edges drawn cut, as two stubs
    label_overlaps: int  # edge labels over a node box or over another edge label
    labels_crossed: int  # edge labels an edge's line runs through (readable, but harder)
    crossings: int | None  # pairs of edge segments that cross (None: not counted, too many)
    width: float
    height: float

    @property
    def aspect(self) -> float:
        short = min(self.width, self.height)
        return max(self.width, self.height) / short if short else 0.0

    def to_dict(self) -> dict:
        return dict(asdict(self), aspect=round(self.aspect, 2))


def _cells(x0: float, y0: float, x1: float, y1: float):
    for i in range(int(x0 // CELL), int(x1 // CELL) + 1):
        for j in range(int(y0 // CELL), int(y1 // CELL) + 1):
            yield i, j


def _rect(b) -> tuple[float, float, float, float]:
    return b.x - b.w / 2, b.y - b.h / 2, b.x + b.w / 2, b.y + b.h / 2


def _grid(rects: dict[str, tuple]) -> dict[tuple[int, int], list[str]]:
    grid: dict[tuple[int, int], list[str]] = defaultdict(list)
    for key, r in rects.items():
        for cell in _cells(*r):
            grid[cell].append(key)
    return grid


def _through(layout: Layout, rects: dict, grid: dict) -> int:
    count = 0
    for edge in layout.edges:
        ends = {edge.src, edge.dst}
        pts = edge.points if not edge.cut else []
        for p, q in zip(pts, pts[1:]):
            near = {k for c in _cells(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]),
                                      max(p[1], q[1])) for k in grid.get(c, ())}
            count += sum(1 for k in near - ends if segment_hits_rect(p, q, rects[k], EPS))
    return count


def _overlap(a, b) -> bool:
    return a[0] < b[2] - EPS and b[0] < a[2] - EPS and a[1] < b[3] - EPS and b[1] < a[3] - EPS


def _node_overlaps(rects: dict, grid: dict) -> int:
    pairs = set()
    for keys in grid.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if _overlap(rects[a], rects[b]):
                    pairs.add((min(a, b), max(a, b)))
    return len(pairs)


def _holds(group_id: str, cluster: str | None, parents: dict[str, str | None]) -> bool:
    group_id = group_id.split(PIECE)[0]  # a torn group's piece holds what the group holds
    while cluster is not None:
        if cluster == group_id:
            return True
        cluster = parents.get(cluster)
    return False


def _group_overlaps(layout: Layout, rects: dict, grid: dict,
                    parents: dict[str, str | None]) -> int:
    count = 0
    for c in layout.clusters:
        r = (c.x, c.y, c.x + c.w, c.y + c.h)
        near = {k for cell in _cells(*r) for k in grid.get(cell, ())}
        count += sum(1 for k in near if _overlap(r, rects[k])
                     and not _holds(c.id, layout.nodes[k].cluster, parents))
    return count


def _cross(p1, p2, q1, q2) -> bool:
    def side(a, b, c):
        v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (v > 1e-9) - (v < -1e-9)
    return side(p1, p2, q1) * side(p1, p2, q2) < 0 and side(q1, q2, p1) * side(q1, q2, p2) < 0


def _crossings(layout: Layout) -> int:
    segments = [(i, p, q) for i, e in enumerate(layout.edges) if not e.cut
                for p, q in zip(e.points, e.points[1:])]
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, (_, p, q) in enumerate(segments):
        for cell in _cells(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1])):
            grid[cell].append(k)
    pairs = set()
    for keys in grid.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                (ea, p1, p2), (eb, q1, q2) = segments[a], segments[b]
                if ea != eb and _cross(p1, p2, q1, q2):
                    pairs.add((min(a, b), max(a, b)))
    return len(pairs)


MAX_CROSSING_SEGMENTS = 300_000  # beyond this, counting crossings takes minutes: skipped


def check_layout(layout: Layout, parents: dict[str, str | None] | None = None) -> LayoutDefects:
    """Every count for one layout; ``parents`` maps each group to its parent group (taken
    from the cluster boxes' nesting when not given)."""
    rects = {k: _rect(b) for k, b in layout.nodes.items()}
    grid = _grid(rects)
    parents = parents if parents is not None else _parents_from_boxes(layout)
    return LayoutDefects(
        edges_through_nodes=_through(layout, rects, grid),
        node_overlaps=_node_overlaps(rects, grid),
        group_overlaps=_group_overlaps(layout, rects, grid, parents),
        stubs=sum(1 for e in layout.edges if e.cut), label_overlaps=_label_overlaps(layout),
        labels_crossed=_labels_crossed(layout),
        crossings=_crossings(layout) if sum(len(e.points) for e in layout.edges)
        <= MAX_CROSSING_SEGMENTS else None,
        width=layout.width, height=layout.height)


def _label_overlaps(layout: Layout) -> int:
    from .labels import LABEL_CHAR_W, LABEL_H

    labels = {f"label{i}": (e.label_at[0], e.label_at[1] - LABEL_H / 2,
                            e.label_at[0] + len(e.type) * LABEL_CHAR_W, e.label_at[1] + LABEL_H / 2)
              for i, e in enumerate(layout.edges) if e.label_at is not None}
    rects = {k: _rect(b) for k, b in layout.nodes.items()} | labels
    grid = _grid(rects)
    pairs = set()
    for keys in grid.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if (a in labels or b in labels) and _overlap(rects[a], rects[b]):
                    pairs.add((min(a, b), max(a, b)))
    return len(pairs)


def _labels_crossed(layout: Layout) -> int:
    from .labels import LABEL_CHAR_W, LABEL_H, crosses_a_line, segment_grid

    lines = segment_grid(layout.edges)
    return sum(1 for e in layout.edges if e.label_at is not None and crosses_a_line(
        lines, (e.label_at[0], e.label_at[1] - LABEL_H / 2,
                e.label_at[0] + len(e.type) * LABEL_CHAR_W, e.label_at[1] + LABEL_H / 2)))


def _parents_from_boxes(layout: Layout) -> dict[str, str | None]:
    """A group's parent: the smallest box of lower depth around it (ids nest by path)."""
    boxes = sorted(layout.clusters, key=lambda c: c.depth)
    parents: dict[str, str | None] = {}
    for c in boxes:
        around = [o for o in boxes if o.depth < c.depth and o.x <= c.x and o.y <= c.y
                  and o.x + o.w >= c.x + c.w and o.y + o.h >= c.y + c.h]
        parents[c.id] = max(around, key=lambda o: o.depth).id if around else None
    return parents
