"""Our own layered layout for compound graphs, linear in the drawing, that never draws an edge
through a node it does not touch.

1. Ranks by longest path (inputs beside their first consumer).
2. Every edge that spans several ranks gets a *lane*: a thin virtual node in each rank it
   crosses, as dot's virtual nodes do, so the space it passes through is reserved (the work is
   linear in the total span of the edges, the size of the drawing itself).
3. Order within ranks by barycentre sweeps (a bounded number, down and up), nodes of one
   group kept together within each rank (sorted by their groups' barycentres first).
4. Across-rank positions by the barycentre of the nodes above, overlaps pushed apart, each
   layer moved back under what it hangs from.
5. Routes: out of a node straight along the rank direction to the edge of its rank's band,
   across the gap between bands, through each lane along the band, into the target: every
   segment runs in a gap, a lane, or the column of its own end node, never through another.
"""

from __future__ import annotations

from collections.abc import Iterable

from .layout import (
    NODE_SEP,
    RANK_SEP,
    EdgePath,
    Layout,
    LayoutOptions,
    box_for,
    node_size,
)
from .model import VisibleGraph

LANE = 2.0  # points: a lane's own width
LANE_SEP = 7.0  # points between a lane and its neighbours
SWEEPS = 4  # barycentre passes (down, up, down, up)


def run_layered(view: VisibleGraph, options: LayoutOptions, rank: dict[str, int]) -> Layout:
    size = {nid: node_size(n) for nid, n in view.nodes.items()}
    rank = dict(rank)
    group = {nid: n.cluster if n.cluster in view.clusters else None
             for nid, n in view.nodes.items()}
    parents = {gid: g.parent for gid, g in view.clusters.items()}
    chains = [_chain(i, e.src, e.dst, rank, size, group, parents)
              for i, e in enumerate(view.edges)]
    links = [(a, b) for chain in chains for a, b in zip(chain, chain[1:])]
    horizontal = options.rankdir == "LR"
    along = 0 if horizontal else 1  # the size that runs along the ranks
    layers = _order(rank, links, group, parents)
    pos, bands = _coordinates(layers, links, size, along)
    boxes = {}
    for nid, node in view.nodes.items():
        x, y = _xy(pos[nid], horizontal)
        boxes[nid] = box_for(node, x, y, *size[nid])
    edges = [EdgePath(e.src, e.dst, e.var, e.type,
                      [_xy(p, horizontal) for p in _route(chain, pos, bands, rank)])
             for e, chain in zip(view.edges, chains)]
    return Layout(0.0, 0.0, boxes, edges, [])


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
    around_b = set(_path(b, parents))
    while a is not None and a not in around_b:
        a = parents.get(a)
    return a


def _xy(p: tuple[float, float], horizontal: bool) -> list[float]:
    return [round(p[1], 1), round(p[0], 1)] if horizontal else [round(p[0], 1), round(p[1], 1)]


def _order(rank: dict[str, int], links: list[tuple[str, str]], group: dict,
           parents: dict) -> list[list[str]]:
    """Nodes per rank, ordered by barycentre sweeps, each group's members side by side."""
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=0) + 1)]
    for nid, r in rank.items():
        layers[r].append(nid)
    ups: dict[str, list[str]] = {}
    downs: dict[str, list[str]] = {}
    for a, b in links:
        ups.setdefault(b, []).append(a)
        downs.setdefault(a, []).append(b)
    index = {n: i for layer in layers for i, n in enumerate(layer)}
    for sweep in range(SWEEPS):
        neighbours, sequence = (ups, layers[1:]) if sweep % 2 == 0 else (downs, layers[-2::-1])
        for layer in sequence:
            centre = {n: _mean([index[m] for m in neighbours.get(n, ())], index[n])
                      for n in layer}
            layer.sort(key=_grouped_key(layer, centre, group, parents))
            index.update({n: i for i, n in enumerate(layer)})
    return layers


def _path(gid: str | None, parents: dict) -> list[str]:
    path = []
    while gid is not None:
        path.append(gid)
        gid = parents.get(gid)
    return path[::-1]


def _grouped_key(layer: list[str], centre: dict[str, float], group: dict, parents: dict):
    """Sort key: the barycentre of each enclosing group in turn (outermost first), then the
    node's own, so that a group's members in this rank end up contiguous."""
    paths = {n: _path(group.get(n), parents) for n in layer}
    totals: dict[str, list[float]] = {}
    for n in layer:
        for gid in paths[n]:
            acc = totals.setdefault(gid, [0.0, 0])
            acc[0] += centre[n]
            acc[1] += 1
    means = {gid: s / k for gid, (s, k) in totals.items()}
    return lambda n: tuple((means[g], g) for g in paths[n]) + ((centre[n], ""),)


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _gap(a: str, b: str) -> float:
    return LANE_SEP if a.startswith("~") or b.startswith("~") else NODE_SEP


def _coordinates(layers: list[list[str]], links: list[tuple[str, str]],
                 size: dict[str, tuple[float, float]], along: int
                 ) -> tuple[dict[str, tuple[float, float]], list[tuple[float, float]]]:
    """Across-rank position by the parents' barycentre, overlaps pushed right; ranks stacked.
    Also each rank's band (start, end) along the rank direction."""
    across = 1 - along
    ups: dict[str, list[str]] = {}
    for a, b in links:
        ups.setdefault(b, []).append(a)
    pos: dict[str, tuple[float, float]] = {}
    bands: list[tuple[float, float]] = []
    depth = 0.0
    for layer in layers:
        thickness = max((size[n][along] for n in layer), default=0.0)
        placed = _place_layer(layer, ups, pos, size, across)
        for n, x in placed:
            pos[n] = (x, depth + thickness / 2)
        bands.append((depth, depth + thickness))
        depth += thickness + RANK_SEP
    return pos, bands


def _place_layer(layer: list[str], ups: dict, pos: dict, size: dict, across: int
                 ) -> list[tuple[str, float]]:
    """Each node at the mean of what it hangs from, pushed right of its left neighbour, then
    the layer moved back so it sits, on average, under what it hangs from (pushing alone
    drifts every layer further right)."""
    placed, cursor, previous = [], None, None
    aimed: list[tuple[float, float]] = []
    for n in layer:
        target = _mean([pos[m][0] for m in ups.get(n, ()) if m in pos], -1.0)
        half = size[n][across] / 2
        low = cursor + _gap(previous, n) + half if cursor is not None else half
        x = max(target, low) if target >= 0 else low
        placed.append((n, x))
        if target >= 0:
            aimed.append((x, target))
        cursor, previous = x + half, n
    shift = sum(t - x for x, t in aimed) / len(aimed) if aimed else 0.0
    return [(n, x + shift) for n, x in placed]


def _route(chain: list[str], pos: dict, bands: list[tuple[float, float]],
           rank: dict[str, int]) -> Iterable[tuple[float, float]]:
    """The edge's polyline in (across, along) coordinates, as the module docstring says."""
    src, dst = chain[0], chain[-1]
    points = [pos[src], (pos[src][0], bands[rank[src]][1])]
    for lane in chain[1:-1]:
        start, end = bands[rank[lane]]
        points += [(pos[lane][0], start), (pos[lane][0], end)]
    if rank[dst] > rank[src]:
        points.append((pos[dst][0], bands[rank[dst]][0]))
    points.append(pos[dst])
    return points
