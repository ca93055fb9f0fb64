"""Edge labels placed where they overlap nothing.

Every edge leaving one result of a node carries the same variable, so its type is written
once, just past the source's border on the first edge (JAX's own text names each variable
once, too). Candidate spots around that exit are tried in turn: the first whose box touches
no node, no label already placed and no edge (a line through a label's text makes it hard to
read); failing that, the first clear of nodes and labels, lines or not; a label with no such
spot is left out (the tooltip still has it). Grids keep this linear in the drawing's size.
"""

from __future__ import annotations

from collections import defaultdict

from .geometry import EdgePath, NodeBox, segment_hits_rect

LABEL_CHAR_W = 4.9  # points per character at the labels' 8 pt
LABEL_H = 10.0
CELL = 120.0
GAP = 3.0  # points kept clear around a label (labels side by side read as one)


def place_labels(nodes: dict[str, NodeBox], edges: list[EdgePath], vertical: bool) -> None:
    """Set ``label_at`` (the label's left-centre point) on one edge per variable."""
    grid: dict[tuple[int, int], list[tuple[float, float, float, float]]] = defaultdict(list)
    for b in nodes.values():
        _add(grid, (b.x - b.w / 2, b.y - b.h / 2, b.x + b.w / 2, b.y + b.h / 2))
    lines = segment_grid(edges)
    seen: set[tuple[str, str]] = set()
    for edge in edges:
        edge.label_at = None
        key = (edge.src, edge.var)
        if not edge.type or key in seen or edge.cut or len(edge.points) < 2:
            continue
        seen.add(key)
        spot = _spot(grid, lines, edge.points, len(edge.type) * LABEL_CHAR_W, vertical)
        if spot is not None:
            x, y, rect = spot
            _add(grid, rect)
            edge.label_at = [round(x, 1), round(y, 1)]


def _spot(grid, lines, points: list[list[float]], width: float, vertical: bool):
    """The first candidate clear of nodes, labels and lines: (x, y, the box with its
    margin), or None."""
    for x, y in _candidates(points, width, vertical):
        rect = (x - GAP, y - LABEL_H / 2 - GAP, x + width + GAP, y + LABEL_H / 2 + GAP)
        if not _hits(grid, rect) and not crosses_a_line(lines, rect):
            return x, y, rect
    return None


def _candidates(points: list[list[float]], width: float, vertical: bool):
    """Spots near where the edge leaves its source: beside the line, then a little further,
    then beside it further out (clear of the lines that leave the same node); then beside
    the middle of each of its segments."""
    yield from _near_start(points[0], width, vertical)
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        x, y = (x0 + x1) / 2, (y0 + y1) / 2
        yield x + 4.0, y
        yield x - 4.0 - width, y
        yield x - width / 2, y - LABEL_H if vertical else y + LABEL_H


def _near_start(start: list[float], width: float, vertical: bool):
    x, y = start
    if vertical:  # ranks run down: the edge leaves through the box's bottom
        for dy in (8.0, 18.0):
            yield x + 4.0, y + dy
            yield x - 4.0 - width, y + dy
        for dx in (16.0, 32.0):
            yield x + dx, y + 8.0
            yield x - dx - width, y + 8.0
    else:  # ranks run right: the edge leaves through the box's right side
        for dx in (4.0, 14.0):
            yield x + dx, y - 8.0
            yield x + dx, y + 8.0
        for dy in (18.0, 30.0):
            yield x + 4.0, y - dy
            yield x + 4.0, y + dy


def segment_grid(edges: list[EdgePath]) -> dict[tuple[int, int], list[tuple]]:
    """Every segment of every edge drawn whole, by the grid cells its bounding box meets."""
    grid: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for edge in edges:
        if edge.cut:
            continue
        for p, q in zip(edge.points, edge.points[1:]):
            segment = (p[0], p[1], q[0], q[1])
            for cell in _cells((min(p[0], q[0]), min(p[1], q[1]),
                                max(p[0], q[0]), max(p[1], q[1]))):
                grid[cell].append(segment)
    return grid


def crosses_a_line(grid: dict, rect: tuple[float, float, float, float]) -> bool:
    """Whether any edge segment passes through the box."""
    return any(segment_hits_rect(seg[:2], seg[2:], rect) for cell in _cells(rect)
               for seg in grid.get(cell, ()))


def _cells(rect):
    x0, y0, x1, y1 = rect
    for i in range(int(x0 // CELL), int(x1 // CELL) + 1):
        for j in range(int(y0 // CELL), int(y1 // CELL) + 1):
            yield i, j


def _add(grid, rect) -> None:
    for cell in _cells(rect):
        grid[cell].append(rect)


def _hits(grid, rect) -> bool:
    x0, y0, x1, y1 = rect
    return any(a < x1 and x0 < c and b < y1 and y0 < d
               for cell in _cells(rect) for a, b, c, d in grid.get(cell, ()))
