"""Wrapping a long layered drawing into columns, so that a deep chain fits a page.

A flat transformer of 40 layers, opened, is 90 times taller than wide. When a drawing is more
than ``MAX_ASPECT`` times longer along the ranks than across, its ranks are cut into columns
set side by side, each cut where it tears the fewest groups (a torn group gets a box in each
column it reaches, see ``layout.cluster_boxes``).
An edge that crosses a cut leaves the bottom of its column, runs below it to the gutter on its
right, up the gutter, above the next column, and down into its rank there: every new segment
lies outside the columns, each edge on its own track, so none passes through a node.

Coordinates here are (across, along): across the ranks, and along them.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter

MAX_ASPECT = 4.0  # along ÷ across past which the drawing is wrapped
TARGET_ASPECT = 1.4  # what the columns aim for
TRACK = 4.0  # points between the tracks of edges crossing one cut
MARGIN = 14.0  # points between a column and the tracks around it

Point = tuple[float, float]


def column_count(along: float, across: float) -> int:
    """How many columns bring the drawing near TARGET_ASPECT (1 when it is not too long)."""
    if across <= 0 or along <= MAX_ASPECT * across:
        return 1
    return max(1, round(math.sqrt(along / (across * TARGET_ASPECT))))


SLACK = 0.25  # a cut may move this share of a column's length to tear fewer groups


def cut_ranks(bands: list[tuple[float, float]], torn: dict[int, int], columns: int
              ) -> list[int]:
    """The first rank of every column after the first: near equal lengths, and among the
    ranks near each target the one that tears the fewest groups (``torn``: how many groups
    run on into each rank from the rank above). A torn group's box is drawn in pieces."""
    total = bands[-1][1]
    slack = SLACK * total / columns
    cuts: list[int] = []
    for k in range(1, columns):
        target = total * k / columns
        after = cuts[-1] if cuts else 0
        near = [r for r in range(after + 1, len(bands)) if abs(bands[r][0] - target) <= slack]
        if not near:
            at = bisect.bisect_left([b[0] for b in bands], target)
            near = [r for r in (at, at - 1) if after < r < len(bands)]
        if near:
            cuts.append(min(near, key=lambda r: (torn.get(r, 0), abs(bands[r][0] - target))))
    return cuts


def torn_ranks(first: dict[str, int], last: dict[str, int]) -> dict[int, int]:
    """For each rank, how many groups run on into it from the rank above."""
    counts: dict[int, int] = {}
    for gid in first:
        for r in range(first[gid] + 1, last[gid] + 1):
            counts[r] = counts.get(r, 0) + 1
    return counts


class Columns:
    """Where each rank's column sits, and how to move points and reroute edges into it."""

    def __init__(self, bands, cuts: list[int], extent: dict[int, tuple[float, float]]):
        self.cuts = cuts
        self.starts = [0] + cuts
        self.bands = bands
        ends = cuts + [len(bands)]
        self.top = [bands[s][0] for s in self.starts]  # along, where each column begins
        self.length = [bands[e - 1][1] - bands[s][0] for s, e in zip(self.starts, ends)]
        self.low = [min((extent[r][0] for r in range(s, e) if r in extent), default=0.0)
                    for s, e in zip(self.starts, ends)]
        self.high = [max((extent[r][1] for r in range(s, e) if r in extent), default=0.0)
                     for s, e in zip(self.starts, ends)]
        self.offset: list[float] = []
        self.crossing_counts: list[int] = []

    def column_of(self, rank: int) -> int:
        return bisect.bisect_right(self.cuts, rank)

    def set_crossings(self, counts: list[int]) -> None:
        """Lay the columns out left to right, each gutter wide enough for its tracks."""
        self.crossing_counts = counts
        x = 0.0
        for j in range(len(self.starts)):
            self.offset.append(x - self.low[j])
            x += self.high[j] - self.low[j] + 2 * MARGIN + TRACK * (counts[j] + 1)

    def spans(self) -> list[list[float]]:
        """Each column's extent across the ranks, where it now lies."""
        return [[self.low[j] + self.offset[j], self.high[j] + self.offset[j]]
                for j in range(len(self.starts))]

    def move(self, point: Point, rank: int) -> Point:
        j = self.column_of(rank)
        return point[0] + self.offset[j], point[1] - self.top[j]

    def detour(self, a: Point, b: Point, column: int, k: int) -> list[Point]:
        """From ``a`` (bottom of ``column``) to ``b`` (top of the next) around the columns,
        on the column's ``k``-th track (0 nearest to it)."""
        below = self.length[column] + MARGIN + TRACK * k
        # over the next column the order turns round: the track furthest out in the gutter
        # (nearest the next column) takes the lowest line, so the ribbon of edges lands in
        # the order it left and no two of them cross
        above = -MARGIN - TRACK * (self.crossing_counts[column] - 1 - k)
        gutter = self.high[column] + self.offset[column] + MARGIN + TRACK * (k + 1)
        return [(a[0], below), (gutter, below), (gutter, above), (b[0], above)]


def wrap(points_by_edge: list[list[tuple[Point, int]]], bands, cuts: list[int],
         extent: dict[int, tuple[float, float]]) -> tuple[Columns, list[list[Point]]]:
    """Every edge's points moved into its columns, with detours where it crosses a cut."""
    columns = Columns(bands, cuts, extent)
    track = _detour_tracks(points_by_edge, columns)
    leaving = Counter(column for column, _, _ in track)
    columns.set_crossings([leaving[j] for j in range(len(cuts) + 1)])
    routes = []
    for i, points in enumerate(points_by_edge):
        route = [columns.move(points[0][0], points[0][1])]
        for s, ((_, ra), (pb, rb)) in enumerate(zip(points, points[1:])):
            moved = columns.move(pb, rb)
            if columns.column_of(rb) > columns.column_of(ra):  # ranks differ by one at most
                column = columns.column_of(ra)
                route += columns.detour(route[-1], moved, column, track[column, i, s])
            route.append(moved)
        routes.append(route)
    return columns, routes


def _detour_tracks(points_by_edge, columns: Columns) -> dict[tuple[int, int, int], int]:
    """For each segment that crosses out of a column, (column, edge, segment), its track
    there: the rightmost leaves on the innermost, so detours nest and none crosses another
    on its way down, across, up the gutter and over."""
    leaving: dict[int, list[tuple[float, int, int]]] = {}
    for i, points in enumerate(points_by_edge):
        for s, ((pa, ra), (_, rb)) in enumerate(zip(points, points[1:])):
            if columns.column_of(rb) > columns.column_of(ra):
                leaving.setdefault(columns.column_of(ra), []).append((pa[0], i, s))
    return {(column, i, s): k for column, out in leaving.items()
            for k, (_, i, s) in enumerate(sorted(out, key=lambda t: (-t[0], t[1], t[2])))}
