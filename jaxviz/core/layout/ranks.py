"""Ranks for the layouts: longest path, then the adjustments that make a layered drawing read.

- ``back_edges``: the cycle-breaking phase. Closing a group that holds both ends of a flow
  through the outside (a forward call and its backward pass in one box) makes the visible
  graph cyclic; a depth-first search in program order picks the edges that close a cycle,
  and they are ranked reversed and drawn round the side, never through a node;
- ``ranks``: the longest-path rank of each node (the dot engine takes these as they are);
- ``separated_groups``: a group that feeds a sibling group ends before the sibling begins,
  so a chain of calls (an MLP's layers, a transformer's blocks) reads as boxes one below the
  other, not as a staircase of boxes that share a rank and must stand side by side;
- ``pulled_to_consumers``: inputs and group-local values next to their first use;
- ``stacked_ends``: many inputs (or outputs) of one rank in rows.
"""

from __future__ import annotations

import math

from ..model.graph_model import VisibleGraph
from ..model.groups import ARGUMENT


def ranks_for_layers(view: VisibleGraph) -> dict[str, int]:
    """The ranks our layered engine draws with: every adjustment below, in order."""
    rank = ranks(view, back_edges(view))
    return stacked_ends(view, pulled_to_consumers(view, separated_groups(view, rank)))


def back_edges(view: VisibleGraph) -> set[int]:
    """Indices of the edges that close a cycle: those that reach a node still on the path
    of a depth-first search that starts from each node in program order (dot's choice).
    Empty for an acyclic graph, which is every graph with all its groups open."""
    out: dict[str, list[tuple[int, str]]] = {n: [] for n in view.nodes}
    for i, e in enumerate(view.edges):
        out[e.src].append((i, e.dst))
    state: dict[str, int] = {}  # 1 on the path, 2 done
    back: set[int] = set()
    for start in view.nodes:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(out[start]))]
        while stack:
            node, todo = stack[-1]
            step = next(todo, None)
            if step is None:
                state[node] = 2
                stack.pop()
            elif state.get(step[1]) == 1:
                back.add(step[0])
            elif step[1] not in state:
                state[step[1]] = 1
                stack.append((step[1], iter(out[step[1]])))
    return back


def separated_groups(view: VisibleGraph, rank: dict[str, int]) -> dict[str, int]:
    """Ranks moved down (never up) so that when a value flows from group A to a sibling
    group B, all of B lies below all of A. Each group gets a top and a bottom mark (every
    member between them); a flow from A to B puts B's top one rank below A's bottom; then
    the longest path again, over the real edges that run downwards and these marks. Where a
    flow also runs back from B to A, or round through the nodes outside, there is no such
    order: the marks that would close the cycle are dropped, and those groups keep sharing
    ranks."""
    # an opened box of a model's parameters or gradients is not a step of the program: its
    # members stay beside their uses (or producers), not in a band of their own
    parents = {gid: c.parent if c.parent in view.clusters else None
               for gid, c in view.clusters.items() if c.kind != ARGUMENT}
    path = {nid: _path(n.cluster, parents) for nid, n in view.nodes.items()}
    real = [(e.src, e.dst) for e in view.edges if rank[e.src] < rank[e.dst]]
    marks = _group_marks(path, parents)
    apart = {(("$", a), ("^", b)) for a, b in _sibling_flows(real, path)}
    if not apart:
        return rank
    moved = _longest(rank, real, marks, apart)
    if moved is None:  # a cycle through the marks: drop those in it, once is enough
        moved = _longest(rank, real, marks, apart, drop_cyclic=True)
    return {n: moved[n] for n in rank}


def _path(gid: str | None, parents: dict) -> tuple[str, ...]:
    """The visible groups around a node, outermost first."""
    out = []
    while gid is not None and gid in parents:
        out.append(gid)
        gid = parents[gid]
    return tuple(out[::-1])


def _group_marks(path: dict, parents: dict) -> list[tuple]:
    """Zero-length steps: a group's top before its members and inner groups' tops, their
    bottoms before its bottom."""
    steps = [(("^", gid), ("$", gid)) for gid in parents]
    steps += [(("^", p), ("^", g)) for g, p in parents.items() if p is not None]
    steps += [(("$", g), ("$", p)) for g, p in parents.items() if p is not None]
    for nid, groups in path.items():
        if groups:
            steps += [(("^", groups[-1]), nid), (nid, ("$", groups[-1]))]
    return steps


def _sibling_flows(real: list[tuple[str, str]], path: dict) -> set[tuple[str, str]]:
    """(A, B) for each value that flows from inside group A to inside sibling group B."""
    flows = set()
    for u, v in real:
        pu, pv = path[u], path[v]
        i = 0
        while i < len(pu) and i < len(pv) and pu[i] == pv[i]:
            i += 1
        if i < len(pu) and i < len(pv):
            flows.add((pu[i], pv[i]))
    return flows


def _longest(rank: dict, real: list, marks: list, apart: set, drop_cyclic: bool = False):
    """Longest path from the given ranks over real edges (1), marks (0) and separations (1),
    in topological order; None when a cycle leaves nodes unreached (unless ``drop_cyclic``:
    then the separations among those nodes are dropped and the pass run again)."""
    weighted = [(u, v, 1) for u, v in real] + [(u, v, 0) for u, v in marks] + \
        [(u, v, 1) for u, v in apart]
    succs: dict = {}
    indegree: dict = {}
    for u, v, w in weighted:
        succs.setdefault(u, []).append((v, w))
        indegree[v] = indegree.get(v, 0) + 1
        indegree.setdefault(u, 0)
    level = {n: rank.get(n, 0) for n in indegree}
    ready = [n for n, d in indegree.items() if d == 0]
    done = 0
    while ready:
        u = ready.pop()
        done += 1
        for v, w in succs.get(u, ()):
            level[v] = max(level[v], level[u] + w)
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    if done == len(indegree):
        return {**rank, **{n: level[n] for n in rank if n in level}}
    if not drop_cyclic:
        return None
    stuck = {n for n, d in indegree.items() if d > 0}
    kept = {(u, v) for u, v in apart if not (u in stuck and v in stuck)}
    return _longest(rank, real, marks, kept) or rank


def pulled_to_consumers(view: VisibleGraph, rank: dict[str, int]) -> dict[str, int]:
    """Inputs, and equations whose results stay in their group, as late as their consumers
    allow (one rank above the first of them), never earlier than their longest-path rank.
    Without this, every equation that needs only inputs (a layer's ``broadcast_in_dim`` of
    its bias) sits on the first rank, far from its use, and the group around it stretches
    from the top of the picture down to its layer. Equations that depend on no input at all
    (the backward pass of a mean starts from ``div 1.0 512.0``) go down with their chain."""
    succs: dict[str, list[str]] = {}
    has_preds = {e.dst for e in view.edges}
    for e in view.edges:
        if rank[e.src] < rank[e.dst]:  # a back edge's target is above: it pulls nothing
            succs.setdefault(e.src, []).append(e.dst)
    floating = _floating(view, succs, has_preds)
    order = sorted(view.nodes, key=lambda n: -rank[n])  # consumers before their producers
    moved = dict(rank)
    for nid in order:
        if nid in succs and (nid not in has_preds or nid in floating
                             or _uses_stay_inside(view, nid, succs[nid])):
            moved[nid] = max(min(moved[s] for s in succs[nid]) - 1, rank[nid])
    return moved


def _floating(view: VisibleGraph, succs: dict, has_preds: set) -> set[str]:
    """Nodes no input, constant or argument box leads to: computed from literals alone."""
    anchored = [n for n, node in view.nodes.items() if n not in has_preds
                and (node.kind in ("input", "const") or node.id.rpartition("/")[2]
                     .startswith("inputs:"))]
    seen = set(anchored)
    while anchored:
        for nxt in succs.get(anchored.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                anchored.append(nxt)
    return set(view.nodes) - seen


MAX_ROW = 10  # inputs (or outputs) side by side in one rank before they stack in rows


def stacked_ends(view: VisibleGraph, rank: dict[str, int]) -> dict[str, int]:
    """Inputs and constants that share a rank, more than MAX_ROW of them, stacked in rows
    above it (they need nothing, so any earlier rank will do), and outputs likewise below:
    a model's 72 parameters read as a block, not as a strip 70 boxes wide."""
    has_preds = {e.dst for e in view.edges}
    has_succs = {e.src for e in view.edges}
    rows: dict[tuple[int, str | None, int], list[str]] = {}
    for nid, node in view.nodes.items():
        if node.kind in ("input", "const") and nid not in has_preds:
            rows.setdefault((rank[nid], node.cluster, -1), []).append(nid)
        elif node.kind == "output" and nid not in has_succs:
            rows.setdefault((rank[nid], node.cluster, 1), []).append(nid)
    moved = dict(rank)
    for (r, _, direction), ids in rows.items():
        if len(ids) > MAX_ROW:
            # rows of about sqrt(2n): a block twice as wide as tall, and the lanes the upper
            # rows need through the lower ones stay near n·sqrt(n)/4, not n²/20
            width = max(MAX_ROW, math.ceil(math.sqrt(2 * len(ids))))
            for i, nid in enumerate(ids):
                moved[nid] = r + direction * (i // width)
    low = min(moved.values(), default=0)
    return {n: v - low for n, v in moved.items()} if low < 0 else moved


def _uses_stay_inside(view: VisibleGraph, nid: str, users: list[str]) -> bool:
    """Whether every user is in the node's own group: a forward-pass value used by the
    backward pass stays where it is computed, or its group would stretch down to the use."""
    cluster = view.nodes[nid].cluster
    return all(view.nodes[u].cluster == cluster for u in users)


def ranks(view: VisibleGraph, back: set[int] | None = None) -> dict[str, int]:
    """Longest-path rank of each node, in program order, with the ``back`` edges reversed
    (any cycle left is broken where the search meets it)."""
    preds: dict[str, list[str]] = {n: [] for n in view.nodes}
    for i, e in enumerate(view.edges):
        if back and i in back:
            preds[e.src].append(e.dst)
        else:
            preds[e.dst].append(e.src)
    rank: dict[str, int] = {}
    visiting: set[str] = set()
    for start in view.nodes:
        if start in rank:
            continue
        stack = [(start, False)]
        while stack:
            node, done = stack.pop()
            if done:
                visiting.discard(node)
                rank[node] = max((rank[p] + 1 for p in preds[node] if p in rank), default=0)
                continue
            if node in rank or node in visiting:
                continue
            visiting.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in preds[node] if p not in rank and p not in visiting)
    return rank
