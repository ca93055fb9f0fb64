"""The dot engine: graphviz through pygraphviz, tuned for gradient graphs, read from ``plain``.

Nodes are fixed-size boxes (we measure the text), ``nslimit=1`` bounds network simplex, and
edges are routed as polylines around the nodes; with ``cut_span`` set, edges spanning more
ranks become a stub at each end so dot does not fill the span with virtual nodes. Names in
the DOT text are ``n0, n1, ...`` so no user text (scope names, params) ever needs escaping.
"""

from __future__ import annotations

import shlex

import pygraphviz

from ..model.graph_model import VisibleGraph
from .geometry import (
    STUB_H,
    STUB_W,
    EdgePath,
    Layout,
    LayoutOptions,
    box_for,
    node_size,
    split_long_edges,
)

GRAPH_ATTRS = ("nslimit=1 nslimit1=1 mclimit=0.6 splines=polyline nodesep=0.25 ranksep=0.42 "
               "searchsize=30 newrank=true")


def _clusters_dot(view: VisibleGraph, members: dict[str | None, list[str]]) -> list[str]:
    """Nested ``subgraph cluster_k { ... }`` blocks, children inside parents."""
    children: dict[str | None, list[str]] = {}
    for gid, group in view.clusters.items():
        parent = group.parent if group.parent in view.clusters else None
        children.setdefault(parent, []).append(gid)
    index = {gid: i for i, gid in enumerate(view.clusters)}

    def block(gid: str) -> list[str]:
        inner = [f"{n};" for n in members.get(gid, [])]
        for child in children.get(gid, []):
            inner += block(child)
        return [f"subgraph cluster_{index[gid]} {{ margin=10; label=\" \";"] + inner + ["}"]

    lines = [f"{n};" for n in members.get(None, [])]
    for gid in children.get(None, []):
        lines += block(gid)
    return lines


def dot_source(view: VisibleGraph, options: LayoutOptions, rank: dict[str, int]
               ) -> tuple[str, dict[str, str], list[int]]:
    """DOT text for layout, the DOT name of each node, and the edges cut into stubs."""
    names = {nid: f"n{i}" for i, nid in enumerate(view.nodes)}
    whole, cut = split_long_edges(view, rank, options.cut_span)
    decl, members = [], {}
    for nid, node in view.nodes.items():
        w, h = node_size(node)
        decl.append(f"{names[nid]} [width={w / 72:.3f} height={h / 72:.3f}];")
        members.setdefault(node.cluster if node.cluster in view.clusters else None,
                           []).append(names[nid])
    edges = [f"{names[view.edges[i].src]} -> {names[view.edges[i].dst]};" for i in whole]
    for k, i in enumerate(cut):
        e = view.edges[i]
        a, b = f"so{k}", f"si{k}"
        decl.append(f"{a} [width={STUB_W / 72:.3f} height={STUB_H / 72:.3f}];")
        decl.append(f"{b} [width={STUB_W / 72:.3f} height={STUB_H / 72:.3f}];")
        members.setdefault(view.nodes[e.src].cluster if view.nodes[e.src].cluster
                           in view.clusters else None, []).append(a)
        members.setdefault(view.nodes[e.dst].cluster if view.nodes[e.dst].cluster
                           in view.clusters else None, []).append(b)
        edges += [f"{names[e.src]} -> {a};", f"{b} -> {names[e.dst]};"]
    body = decl + _clusters_dot(view, members) + edges
    head = (f"digraph G {{ graph [rankdir={options.rankdir} {GRAPH_ATTRS}]; "
            f"node [shape=box fixedsize=true label=\"\"]; edge [arrowsize=0.6];")
    return "\n".join([head, *body, "}"]), names, cut


def parse_plain(text: str) -> tuple[float, dict[str, tuple[float, float]],
                                      dict[tuple[str, str], list[list[float]]]]:
    """Height, node centres and edge points (points, y down) from dot's ``plain`` output."""
    height = 0.0
    centres: dict[str, tuple[float, float]] = {}
    routes: dict[tuple[str, str], list[list[float]]] = {}
    for line in text.splitlines():
        parts = shlex.split(line) if '"' in line else line.split()
        if not parts:
            continue
        if parts[0] == "graph":
            height = float(parts[3]) * 72
        elif parts[0] == "node":
            centres[parts[1]] = (float(parts[2]) * 72, height - float(parts[3]) * 72)
        elif parts[0] == "edge":
            n = int(parts[3])
            coords = [float(v) * 72 for v in parts[4:4 + 2 * n]]
            routes[(parts[1], parts[2])] = [[coords[j], height - coords[j + 1]]
                                            for j in range(0, len(coords), 2)]
    return height, centres, routes


def run_dot(view: VisibleGraph, options: LayoutOptions, rank: dict[str, int]) -> Layout:
    source, names, cut = dot_source(view, options, rank)
    graph = pygraphviz.AGraph(string=source)
    plain = graph.draw(format="plain", prog="dot").decode()
    _, centres, routes = parse_plain(plain)
    boxes = {}
    for nid, node in view.nodes.items():
        x, y = centres[names[nid]]
        w, h = node_size(node)
        boxes[nid] = box_for(node, x, y, w, h)
    cut_index = {i: k for k, i in enumerate(cut)}
    edges = []
    for i, e in enumerate(view.edges):
        a, b = names[e.src], names[e.dst]
        if i in cut_index:
            k = cut_index[i]
            so, si = centres[f"so{k}"], centres[f"si{k}"]
            points = [list(centres[a]), list(so), list(si), list(centres[b])]
            edges.append(EdgePath(e.src, e.dst, e.var, e.type, points, True,
                                  [list(so), list(si)]))
        else:
            points = routes.get((a, b)) or [list(centres[a]), list(centres[b])]
            edges.append(EdgePath(e.src, e.dst, e.var, e.type, points))
    return Layout(0.0, 0.0, boxes, edges, [])
