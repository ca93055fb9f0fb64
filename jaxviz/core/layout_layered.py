"""Our own layered layout, linear in the graph's size, for graphs too big for dot.

Ranks by longest path; edges spanning more than ``cut_span`` ranks become stubs (as with dot),
so no virtual nodes are needed; order within ranks by two barycentre sweeps; x positions by
the barycentre of the nodes above, with overlaps pushed apart left to right. Clusters are not
kept apart here: their boxes are drawn around their members afterwards.
"""

from __future__ import annotations

from .layout import (
    NODE_SEP,
    RANK_SEP,
    STUB_H,
    STUB_W,
    EdgePath,
    Layout,
    LayoutOptions,
    box_for,
    node_size,
    split_long_edges,
)
from .model import VisibleGraph


def run_layered(view: VisibleGraph, options: LayoutOptions, rank: dict[str, int]) -> Layout:
    whole, cut = split_long_edges(view, rank, options.cut_span)
    size = {nid: node_size(n) for nid, n in view.nodes.items()}
    rank = dict(rank)
    links: list[tuple[str, str]] = [(view.edges[i].src, view.edges[i].dst) for i in whole]
    for k, i in enumerate(cut):
        e = view.edges[i]
        rank[f"so{k}"], rank[f"si{k}"] = rank[e.src] + 1, rank[e.dst] - 1
        size[f"so{k}"] = size[f"si{k}"] = (STUB_W, STUB_H)
        links += [(e.src, f"so{k}"), (f"si{k}", e.dst)]
    horizontal = options.rankdir == "LR"
    along = 0 if horizontal else 1  # the size that runs along the ranks
    layers = _order(rank, links)
    pos = _coordinates(layers, links, size, along)
    boxes = {}
    for nid, node in view.nodes.items():
        x, y = pos[nid]
        x, y = (y, x) if horizontal else (x, y)
        boxes[nid] = box_for(node, x, y, *size[nid])
    edges = []
    for e in view.edges:
        points = [_xy(pos[e.src], horizontal), _xy(pos[e.dst], horizontal)]
        edges.append(EdgePath(e.src, e.dst, e.var, e.type, points))
    for k, i in enumerate(cut):
        edge = edges[i]
        so, si = _xy(pos[f"so{k}"], horizontal), _xy(pos[f"si{k}"], horizontal)
        edge.points = [edge.points[0], so, si, edge.points[1]]
        edge.cut, edge.stubs = True, [so, si]
    return Layout(0.0, 0.0, boxes, edges, [])


def _xy(p: tuple[float, float], horizontal: bool) -> list[float]:
    return [p[1], p[0]] if horizontal else [p[0], p[1]]


def _order(rank: dict[str, int], links: list[tuple[str, str]]) -> list[list[str]]:
    """Nodes per rank, ordered by two barycentre sweeps (down, then up)."""
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=0) + 1)]
    for nid, r in rank.items():
        layers[r].append(nid)
    ups: dict[str, list[str]] = {}
    downs: dict[str, list[str]] = {}
    for a, b in links:
        ups.setdefault(b, []).append(a)
        downs.setdefault(a, []).append(b)
    for neighbours, sequence in ((ups, layers[1:]), (downs, layers[-2::-1])):
        index = {n: i for layer in layers for i, n in enumerate(layer)}
        for layer in sequence:
            keyed = [(_mean([index[m] for m in neighbours.get(n, ())], index[n]), n)
                     for n in layer]
            keyed.sort(key=lambda t: t[0])
            layer[:] = [n for _, n in keyed]
            index.update({n: i for i, n in enumerate(layer)})
    return layers


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _coordinates(layers: list[list[str]], links: list[tuple[str, str]],
                 size: dict[str, tuple[float, float]], along: int
                 ) -> dict[str, tuple[float, float]]:
    """Across-rank position by the parents' barycentre, overlaps pushed right; ranks stacked."""
    across = 1 - along
    ups: dict[str, list[str]] = {}
    for a, b in links:
        ups.setdefault(b, []).append(a)
    pos: dict[str, tuple[float, float]] = {}
    depth = 0.0
    for layer in layers:
        thickness = max((size[n][along] for n in layer), default=0.0)
        wanted = [(_mean([pos[m][0] for m in ups.get(n, ()) if m in pos], -1.0), n)
                  for n in layer]
        cursor = -1e18
        placed = []
        for target, n in wanted:
            half = size[n][across] / 2
            x = max(target, cursor + half) if target >= 0 else max(cursor + half, 0.0)
            placed.append((n, x, target))
            cursor = x + half + NODE_SEP
        # pushing overlaps to the right drifts every layer further right (a wide triangle):
        # move the layer back so it sits, on average, under what it hangs from
        aimed = [(x, t) for _, x, t in placed if t >= 0]
        shift = sum(t - x for x, t in aimed) / len(aimed) if aimed else 0.0
        for n, x, _ in placed:
            pos[n] = (x + shift, depth + thickness / 2)
        depth += thickness + RANK_SEP
    return pos
