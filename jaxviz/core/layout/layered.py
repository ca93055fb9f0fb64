"""Our own layered layout for compound graphs, linear in the drawing, that never draws an edge
through a node it does not touch.

1. Ranks by longest path, a group that feeds its sibling wholly above it, inputs beside
   their first consumer (``layout.ranks``).
2. Every edge that spans several ranks gets a *lane*: a thin virtual node in each rank it
   crosses, as dot's virtual nodes do, so the space it passes through is reserved (the work is
   linear in the total span of the edges, the size of the drawing itself).
3. Order within ranks by barycentre sweeps (``layout.order``: a bounded number, down and up),
   nodes of one group kept together within each rank.
4. Across-rank positions by the barycentre of the nodes above, overlaps pushed apart, each
   layer moved back under what it hangs from.
5. Routes: out of a node straight along the rank direction to the edge of its rank's band,
   across the gap between bands, through each lane along the band, into the target: every
   segment runs in a gap, a lane, or the column of its own end node, never through another.
   A long edge between top-level parts (a deep grad's residuals) goes round the side nearer
   its ends instead, on its own track, the shortest nearest the drawing.
"""

from __future__ import annotations

import bisect

from ..model.graph_model import VisibleGraph
from .geometry import (
    CLUSTER_LABEL_H,
    CLUSTER_PAD,
    NODE_SEP,
    RANK_SEP,
    EdgePath,
    Layout,
    LayoutOptions,
    box_for,
    cluster_label_width,
    node_size,
)
from .order import group_path, mean, order_layers, packing_order
from .wrap import column_count, cut_ranks, torn_ranks, wrap

LANE = 2.0  # points: a lane's own width
LANE_SEP = 7.0  # points between a lane and its neighbours


def run_layered(view: VisibleGraph, options: LayoutOptions, rank: dict[str, int]) -> Layout:
    size = {nid: node_size(n) for nid, n in view.nodes.items()}
    rank = dict(rank)
    group = {nid: n.cluster if n.cluster in view.clusters else None
             for nid, n in view.nodes.items()}
    parents = {gid: g.parent for gid, g in view.clusters.items()}
    outside = {i for i, e in enumerate(view.edges)
               if _goes_round(e, rank, group, parents,
                              INPUT_SPAN if view.nodes[e.src].kind in ("input", "const")
                              else LONG_SPAN)}
    chains = [[e.src, e.dst] if i in outside else _chain(i, e.src, e.dst, rank, size, group,
                                                          parents)
              for i, e in enumerate(view.edges)]
    links = [(a, b) for i, chain in enumerate(chains) if i not in outside
             for a, b in zip(chain, chain[1:])]
    horizontal = options.rankdir == "LR"
    along = 0 if horizontal else 1  # the size that runs along the ranks
    layers = order_layers(rank, links, group, parents)
    pos, bands, blocks = _coordinates(layers, links, size, along, group, view.clusters)
    lo, hi = _sides(pos, size, 1 - along, blocks)
    right = _right_side(outside, view.edges, pos, rank)
    track = _tracks(outside, view.edges, rank, right, lo, hi)
    routes = [_round_route(chain, pos, bands, rank, track[i])
              if i in outside else _route(chain, pos, bands, rank)
              for i, chain in enumerate(chains)]
    tracks = (min(track.values()), max(track.values())) if outside else None
    # columns cut every route at the ranks where they break: a back edge runs up, across
    # them, and would be cut into a line through the next column; such a drawing stays whole
    back = any(rank[e.dst] <= rank[e.src] for e in view.edges)
    pos, routes, columns = \
        _wrapped(pos, bands, rank, routes, size, 1 - along, group, parents, blocks, tracks) \
        if options.wrap and not back else (pos, [[p for p, _ in r] for r in routes], [])
    boxes = {}
    for nid, node in view.nodes.items():
        x, y = _xy(pos[nid], horizontal)
        boxes[nid] = box_for(node, x, y, *size[nid])
    edges = [EdgePath(e.src, e.dst, e.var, e.type, [_xy(p, horizontal) for p in route])
             for e, route in zip(view.edges, routes)]
    layout = Layout(0.0, 0.0, boxes, edges, [])
    layout.columns, layout.columns_axis = columns, "y" if horizontal else "x"
    return layout


LONG_SPAN = 16  # ranks: a longer edge between top-level parts goes round the side...
INPUT_SPAN = 16  # ...or this many from an input (inputs stacked in rows above their consumer
# keep their lanes; a parameter the backward pass uses far below goes round)
TRACK = 4.0  # points between the tracks of the edges that go round


def _goes_round(edge, rank: dict, group: dict, parents: dict, span: int) -> bool:
    """A long edge that no group holds (the residuals of a deep grad, from each forward layer
    to its backward twin): lanes for it would grow with the depth squared, so it goes round
    the side of the drawing instead, in a constant number of points."""
    if rank[edge.dst] <= rank[edge.src]:
        return True  # a back edge (``layout.ranks.back_edges``): round, never through nodes
    if rank[edge.dst] - rank[edge.src] <= span:
        return False
    return _common_group(group.get(edge.src), group.get(edge.dst), parents) is None


def _right_side(outside: set[int], edges, pos: dict, rank: dict) -> set[int]:
    """The edges that go round on the right; the others go round on the left: each on the
    side where its steps out (below its source's rank, above its target's) pass fewer of
    the nodes and lanes of those ranks, which is what they would cross."""
    wanted = {rank[edges[i].src] for i in outside} | {rank[edges[i].dst] for i in outside}
    across: dict[int, list[float]] = {r: [] for r in wanted}
    for n, r in rank.items():
        if r in across:
            across[r].append(pos[n][0])
    for xs in across.values():
        xs.sort()

    def beyond_right(node: str) -> int:
        xs = across[rank[node]]
        return len(xs) - bisect.bisect_right(xs, pos[node][0])

    def beyond_left(node: str) -> int:
        return bisect.bisect_left(across[rank[node]], pos[node][0])

    return {i for i in outside
            if beyond_right(edges[i].src) + beyond_right(edges[i].dst)
            <= beyond_left(edges[i].src) + beyond_left(edges[i].dst)}


def _tracks(outside: set[int], edges, rank: dict, right: set[int], lo: float, hi: float
            ) -> dict[int, float]:
    """Where each edge that goes round runs: its own track on its side, the shortest
    nearest the drawing, so edges nested in rank (a deep grad's residuals, layer k forward
    to layer k backward) nest on the side too and the step out to a track crosses no other
    track."""
    at: dict[int, float] = {}
    for side, start, step in ((right, hi, TRACK), (outside - right, lo, -TRACK)):
        by_span = sorted(side, key=lambda i: (abs(rank[edges[i].dst] - rank[edges[i].src]), i))
        at.update({i: start + step * k for k, i in enumerate(by_span)})
    return at


def _sides(pos: dict, size: dict, across: int, blocks: list) -> tuple[float, float]:
    """Where the tracks round the sides begin, left and right: past every node and block."""
    starts = [x - size[n][across] / 2 for n, (x, _) in pos.items()] + \
        [lo for lo, _, _, _ in blocks]
    ends = [x + size[n][across] / 2 for n, (x, _) in pos.items()] + [hi for _, hi, _, _ in blocks]
    return min(starts, default=0.0) - 2 * NODE_SEP, max(ends, default=0.0) + 2 * NODE_SEP


def _round_route(chain: list[str], pos: dict, bands, rank: dict, track: float
                 ) -> list[tuple[tuple[float, float], int]]:
    """Out of the source's rank, across its gap to the track, along the track, across the gap
    before the target's rank, and in: the across segments run in gaps, where no node is."""
    src, dst = chain
    below = bands[rank[src]][1] + RANK_SEP / 2
    above = bands[rank[dst]][0] - RANK_SEP / 2
    return [(pos[src], rank[src]), ((pos[src][0], below), rank[src]),
            ((track, below), rank[src]), ((track, above), rank[dst]),
            ((pos[dst][0], above), rank[dst]), (pos[dst], rank[dst])]


def _wrapped(pos: dict, bands, rank: dict, routes, size: dict, across: int, group: dict,
             parents: dict, blocks: list, tracks: tuple[float, float] | None = None):
    """Positions and routes, in columns when the drawing is too long (``layout.wrap``)."""
    extent: dict[int, tuple[float, float]] = {}

    def widen(r: int, lo: float, hi: float) -> None:
        low, high = extent.get(r, (lo, hi))
        extent[r] = (min(low, lo), max(high, hi))

    for n, (x, _) in pos.items():
        widen(rank[n], x - size[n][across] / 2, x + size[n][across] / 2)
    for lo, hi, r0, r1 in blocks:  # group boxes, with their padding and labels
        for r in range(r0, r1 + 1):
            widen(r, lo, hi)
    if tracks is not None:  # the edges that go round: every column keeps room for them
        for r in list(extent):
            widen(r, *tracks)
    width = max((h for _, h in extent.values()), default=0.0) - \
        min((lo for lo, _ in extent.values()), default=0.0)
    columns = column_count(bands[-1][1] if bands else 0.0, width)
    cuts = cut_ranks(bands, torn_ranks(*_spans(rank, group, parents)), columns) \
        if columns > 1 else []
    if not cuts:
        return pos, [[p for p, _ in r] for r in routes], []
    routes = [_split_at_cuts(route, bands, cuts) for route in routes]
    placed, moved_routes = wrap(routes, bands, cuts, extent)
    return {n: placed.move(p, rank[n]) for n, p in pos.items()}, moved_routes, placed.spans()


def _split_at_cuts(route, bands, cuts: list[int]):
    """A segment that runs past cuts (a track round the side) gets a point at each side of
    each cut, so that wrapping moves it column by column."""
    out = [route[0]]
    for (pa, ra), (pb, rb) in zip(route, route[1:]):
        for c in cuts:
            if ra < c <= rb and pa[0] == pb[0]:
                out += [((pa[0], bands[c - 1][1]), c - 1), ((pa[0], bands[c][0]), c)]
        out.append((pb, rb))
    return out


def _chain(index: int, src: str, dst: str, rank: dict[str, int], size: dict,
           group: dict, parents: dict) -> list[str]:
    """The edge's nodes rank by rank: its source, a lane in each rank between, its target.
    A lane belongs to the innermost group both ends share, so groups stay together."""
    chain = [src]
    shared = _common_group(group.get(src), group.get(dst), parents) \
        if rank[dst] - rank[src] > 1 else None
    for r in range(rank[src] + 1, rank[dst]):
        lane = f"~{index}.{r}"
        rank[lane], size[lane], group[lane] = r, (LANE, LANE), shared
        chain.append(lane)
    return chain + [dst]


def _common_group(a: str | None, b: str | None, parents: dict) -> str | None:
    """The innermost group holding both."""
    around_b = set(group_path(b, parents))
    while a is not None and a not in around_b:
        a = parents.get(a)
    return a


def _xy(p: tuple[float, float], horizontal: bool) -> list[float]:
    return [round(p[1], 1), round(p[0], 1)] if horizontal else [round(p[0], 1), round(p[1], 1)]


def _coordinates(layers: list[list[str]], links: list[tuple[str, str]],
                 size: dict[str, tuple[float, float]], along: int, group: dict,
                 view_clusters: dict) -> tuple[dict[str, tuple[float, float]],
                                               list[tuple[float, float]], list]:
    """Positions (across, along) of every node and lane, and each rank's band (start, end)
    along the rank direction. Across: groups packed as blocks (``_Packer``). Along: ranks
    stacked with room between them for the borders and labels of the groups that begin or
    end there."""
    across = 1 - along
    parents = {gid: g.parent for gid, g in view_clusters.items()}
    rank = {n: r for r, layer in enumerate(layers) for n in layer}
    order = {n: i / max(len(layer), 1) for layer in layers for i, n in enumerate(layer)}
    # a group's label sits above its members: across the ranks when they run left to right
    label_across, label_along = (CLUSTER_LABEL_H, 0.0) if along == 0 else (0.0, CLUSTER_LABEL_H)
    labels = {gid: cluster_label_width(g.label) if along == 1 else 0.0
              for gid, g in view_clusters.items()}
    xs, blocks = _Packer(rank, order, size, across, group, parents, links, label_across,
                         labels).place()
    first, last = _spans(rank, group, parents)
    top, bottom = _border_room(first, parents, CLUSTER_PAD + label_along), \
        _border_room(last, parents, CLUSTER_PAD)
    pos, bands, depth = {}, [], 0.0
    for r, layer in enumerate(layers):
        depth += top.get(r, 0.0)
        thickness = max((size[n][along] for n in layer), default=0.0)
        for n in layer:
            pos[n] = (xs[n], depth + thickness / 2)
        bands.append((depth, depth + thickness))
        depth += thickness + RANK_SEP + bottom.get(r, 0.0)
    return pos, bands, blocks


def _spans(rank: dict[str, int], group: dict, parents: dict
           ) -> tuple[dict[str, int], dict[str, int]]:
    """Each group's first and last rank, over everything inside it."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for n, r in rank.items():
        for gid in group_path(group.get(n), parents):
            first[gid] = min(first.get(gid, r), r)
            last[gid] = max(last.get(gid, r), r)
    return first, last


def _border_room(edge_rank: dict[str, int], parents: dict, per_level: float
                 ) -> dict[int, float]:
    """Room a rank needs on one side: one ``per_level`` for each group of a nested chain
    whose border lies at that rank (siblings share theirs)."""
    room: dict[int, float] = {}
    for gid, r in edge_rank.items():
        stacked = sum(1 for g in group_path(gid, parents) if edge_rank.get(g) == r)
        room[r] = max(room.get(r, 0.0), stacked * per_level)
    return room


class _Packer:
    """Across-rank positions, group by group from the innermost out. A group is a block
    spanning its ranks, one interval wide in all of them; its members and inner blocks are
    packed inside it left to right in the sweeps' order, each as far left as the ranks it
    spans allow, or under the mean of what it hangs from when that is further right. So no
    group's box ever covers a node it does not hold."""

    def __init__(self, rank, order, size, across, group, parents, links, label: float,
                 label_widths: dict[str, float]):
        self.rank, self.order, self.size, self.across = rank, order, size, across
        self.label = label  # room for a group's label before its members, across the ranks
        self.label_widths = label_widths  # a block is at least as wide as its label
        self.group, self.parents = group, parents
        self.ups: dict[str, list[str]] = {}
        for a, b in links:
            self.ups.setdefault(b, []).append(a)
        self.children: dict[str | None, list[str]] = {}
        self.blocks: dict[str | None, list[str]] = {}
        for n in rank:
            self.children.setdefault(group.get(n), []).append(n)
        used = {g for n in rank for g in group_path(group.get(n), parents)}
        for gid in used:
            self.blocks.setdefault(parents.get(gid) if parents.get(gid) in used else None,
                                   []).append(gid)

    def place(self) -> tuple[dict[str, float], list[tuple[float, float, int, int]]]:
        """Centres across the ranks, and each group block's (start, end, first, last rank)."""
        xs, _, _, blocks = self._block(None)
        return xs, blocks

    def _block(self, gid: str | None):
        """Centres relative to the block's left edge, its width, (key, first, last rank), and
        its inner blocks' intervals, relative too."""
        pad = CLUSTER_PAD if gid is not None else 0.0
        start = pad + self.label if gid is not None else 0.0
        items = [(self.order[n], self.rank[n], self.rank[n], n, None)
                 for n in self.children.get(gid, [])]
        for child in self.blocks.get(gid, []):
            inner, width, (key, r0, r1), blocks = self._block(child)
            items.append((key, r0, r1, child, (inner, width, blocks)))
        items = packing_order(items, self._places(items))
        xs: dict[str, float] = {}
        placed_blocks: list[tuple[float, float, int, int]] = []
        frontier: dict[int, tuple[float, bool]] = {}  # rank → (right edge, a lane is there)
        keys, r_min, r_max, first_left = [], 10**9, -1, None
        for key, r0, r1, name, inner in items:
            lane = inner is None and name.startswith("~")
            width = inner[1] if inner else self.size[name][self.across]
            left = self._leftmost(frontier, r0, r1, lane, start)
            if inner is None:
                target = mean([xs[m] for m in self.ups.get(name, ()) if m in xs], -1.0)
                left = max(left, target - width / 2) if target >= 0 else left
                xs[name] = left + width / 2
            else:
                xs.update({m: left + x for m, x in inner[0].items()})
                placed_blocks.append((left, left + width, r0, r1))
                placed_blocks += [(lo + left, hi + left, a, b) for lo, hi, a, b in inner[2]]
            for r in range(r0, r1 + 1):
                frontier[r] = (left + width, lane)
            keys.append(key)
            first_left = left if first_left is None else min(first_left, left)
            r_min, r_max = min(r_min, r0), max(r_max, r1)
        right = max((edge for edge, _ in frontier.values()), default=0.0)
        label = self.label_widths.get(gid, 0.0)  # the box starts a pad before its first item
        width = max(right + pad, (first_left or 0.0) - CLUSTER_PAD + label)
        return xs, width, (mean(keys, 0.0), r_min, r_max), placed_blocks

    def _places(self, items: list[tuple]) -> dict[str, list[tuple[int, float]]]:
        """Each item's (rank, place in the rank's order) for everything it holds."""
        places: dict[str, list[tuple[int, float]]] = {}
        for _, _, _, name, inner in items:
            members = inner[0] if inner else (name,)
            places[name] = [(self.rank[m], self.order[m]) for m in members]
        return places

    @staticmethod
    def _leftmost(frontier: dict, r0: int, r1: int, lane: bool, pad: float) -> float:
        left = pad
        for r in range(r0, r1 + 1):
            if r in frontier:
                edge, lane_there = frontier[r]
                left = max(left, edge + (LANE_SEP if lane or lane_there else NODE_SEP))
        return left


def _route(chain: list[str], pos: dict, bands: list[tuple[float, float]],
           rank: dict[str, int]) -> list[tuple[tuple[float, float], int]]:
    """The edge's polyline in (across, along) coordinates, as the module docstring says,
    each point with the rank it lies in."""
    src, dst = chain[0], chain[-1]
    points = [(pos[src], rank[src]), ((pos[src][0], bands[rank[src]][1]), rank[src])]
    for lane in chain[1:-1]:
        start, end = bands[rank[lane]]
        points += [((pos[lane][0], start), rank[lane]), ((pos[lane][0], end), rank[lane])]
    if rank[dst] > rank[src]:
        points.append(((pos[dst][0], bands[rank[dst]][0]), rank[dst]))
    points.append((pos[dst], rank[dst]))
    return points
