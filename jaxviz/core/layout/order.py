"""The order of nodes within ranks, for the layered layout: barycentre sweeps, down and up, a
bounded number, each group's members kept side by side in every rank (sorted by their groups'
barycentres first, then their own), the order with the fewest crossings kept (counted after
each sweep, as inversions between neighbouring ranks); and the order in which the packer
places a block's items, which keeps every rank's order (``packing_order``).

What the crossings (drawn, counted by ``layout.check``: control-flow grad, MLP ×6 grad,
12-block transformer grad; dot: 4, 42, 109) owed to what, measured in turn:
- the packer sorting a block's items by one mean key: a block spanning many ranks went before
  a node its rank had after it, and the drawing crossed where the order did not. Packing in
  an order that keeps every rank's order: 6 → 3, 32 → 27, 51 → 53;
- the best order seen kept, up to 8 sweeps (stopping after 4 without gain): 6, 35 → 32,
  136 → 51 (4 sweeps, each taken as it came, had given 6, 35, 136);
- before those, in ``layout.ranks``, ``layout.layered`` and ``layout.wrap``: a group that feeds
  its sibling ends above it (16 → 7, 127 → 107: no staircase of layers sharing ranks), edges
  round the side on the side nearer their ends and nested by span, parameters the backward
  pass uses far below sent round too (107 → 35 on the MLP), and edges wrapped into columns
  landing in the order they left (the opened 12-block transformer grad 157,058 → 1,702).
Tried and not kept: dot's *transpose* (swapping neighbours while that removes crossings; the
order's crossings fell, the drawn ones did not, for 2–3× the time); one key per group for all
its ranks in the sweeps (the MLP grad then ran from the top right down to the left); a long
edge's lanes placed as one straight item (straighter, but 204 → 233 on the transformer).
"""

from __future__ import annotations

import bisect
import heapq

SWEEPS = 8  # barycentre passes at most (down, up, down, up, ...), the best order kept
PATIENCE = 4  # passes without fewer crossings before the sweeps stop


def order_layers(rank: dict[str, int], links: list[tuple[str, str]], group: dict,
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
    by_group: dict[str | None, tuple[str, ...]] = {}
    paths = {}
    for n in rank:  # a node's groups, found once (not once per sweep) and shared
        gid = group.get(n)
        if gid not in by_group:
            by_group[gid] = tuple(group_path(gid, parents))
        paths[n] = by_group[gid]
    best, fewest = [list(layer) for layer in layers], crossings(layers, downs, index)
    last_gain = -1
    for sweep in range(SWEEPS):
        neighbours, sequence = (ups, layers[1:]) if sweep % 2 == 0 else (downs, layers[-2::-1])
        for layer in sequence:
            centre = {n: mean([index[m] for m in neighbours.get(n, ())], index[n])
                      for n in layer}
            layer.sort(key=_grouped_key(layer, centre, paths))
            index.update({n: i for i, n in enumerate(layer)})
        count = crossings(layers, downs, index)
        if count < fewest:  # sweeps can make things worse again: keep the best seen
            best, fewest, last_gain = [list(layer) for layer in layers], count, sweep
        elif sweep - last_gain >= PATIENCE:  # PATIENCE passes without gain: settled
            break
    return best


def crossings(layers: list[list[str]], downs: dict[str, list[str]], index: dict) -> int:
    """How many pairs of links between neighbouring ranks cross in this order: per pair of
    ranks, the inversions of the targets' places, links taken in their sources' order. Most
    rank pairs of a real graph have a link or two, or none crossing: skipped at once; the
    rest counted with a sorted list (bisect and insort run in C)."""
    total = 0
    for layer in layers:
        targets = [j for a in layer for j in sorted(index[b] for b in downs.get(a, ()))]
        if len(targets) < 2 or all(x <= y for x, y in zip(targets, targets[1:])):
            continue
        seen: list[int] = []
        for k, j in enumerate(targets):  # links seen so far that end right of this one
            total += k - bisect.bisect_right(seen, j)
            bisect.insort(seen, j)
    return total


def packing_order(items: list[tuple], places: dict[str, list[tuple[int, float]]]
                  ) -> list[tuple]:
    """The items of one group block (nodes, lanes, inner blocks: ``(key, first rank, last
    rank, name, ...)``) in the order the packer places them left to right: in every rank,
    the order the sweeps chose for it (an item before another in some rank comes first),
    ties and conflicts settled by the key, the item's mean place. Sorting by the key alone
    put a block spanning many ranks before a node its rank had after it, and the drawing
    crossed where the order did not."""
    by_name = {t[3]: t for t in items}
    rows: dict[int, list[tuple[float, str]]] = {}
    for name, spots in places.items():
        for r, place in spots:
            rows.setdefault(r, []).append((place, name))
    after: dict[str, set[str]] = {name: set() for name in by_name}
    for row in rows.values():
        row.sort()
        for (_, a), (_, b) in zip(row, row[1:]):
            if a != b:
                after[a].add(b)
    waiting = {name: 0 for name in by_name}
    for name in by_name:
        for b in after[name]:
            waiting[b] += 1
    rank_key = {name: (t[0], t[1], name) for name, t in by_name.items()}
    ready = [rank_key[n] for n, k in waiting.items() if k == 0]
    by_key = sorted(rank_key.values())  # for cycles: the next by key goes anyway
    cursor = 0
    heapq.heapify(ready)
    done: set[str] = set()
    out: list[tuple] = []
    while len(out) < len(by_name):
        if ready:
            name = heapq.heappop(ready)[2]
        else:
            while by_key[cursor][2] in done:
                cursor += 1
            name = by_key[cursor][2]
        if name in done:
            continue
        done.add(name)
        out.append(by_name[name])
        for b in after[name]:
            waiting[b] -= 1
            if waiting[b] == 0 and b not in done:
                heapq.heappush(ready, rank_key[b])
    return out


def group_path(gid: str | None, parents: dict) -> list[str]:
    """The groups holding ``gid`` and ``gid`` itself, outermost first."""
    path = []
    while gid is not None:
        path.append(gid)
        gid = parents.get(gid)
    return path[::-1]


def _grouped_key(layer: list[str], centre: dict[str, float], paths: dict):
    """Sort key: the barycentre of each enclosing group in turn (outermost first), then the
    node's own, so that a group's members in this rank end up contiguous."""
    totals: dict[str, list[float]] = {}
    for n in layer:
        for gid in paths[n]:
            acc = totals.setdefault(gid, [0.0, 0])
            acc[0] += centre[n]
            acc[1] += 1
    if not totals:  # no groups in this rank: the barycentres alone
        return centre.__getitem__
    means = {gid: s / k for gid, (s, k) in totals.items()}
    return lambda n: tuple((means[g], g) for g in paths[n]) + ((centre[n], ""),)


def mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default
