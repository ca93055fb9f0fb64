"""Groups of equations, and the folding of repeated ones.

A group is a set of nodes that can be shown as one box: a nested jaxpr's equation (CALL, and
SUBGRAPH for one of several jaxprs), a named scope (SCOPE), a call of a user function or an
iteration of a loop (FUNCTION), a call the user made into a library (LIBRARY: ``jnp.where``,
``optax.softmax_cross_entropy``), a fold (FOLD) of repeats, or the many arrays of one
argument (ARGUMENT).

Folding: consecutive sibling calls of one function (``block #1`` … ``block #12``), or
iterations of one loop, whose equations have the same structure (primitives, short params,
result types, in order, nested groups included: a structural hash) are put under one FOLD
group, ``block ×12``. Closed, it is one box; opened, it shows the first repeat and, for three
or more, the others as one box of their own (``block ×11 more, same structure``): one
representative with the others listed, and a double-click on them shows all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ir.graph import EQN, Node, scopes_of, transforms_of

CALL, SUBGRAPH, SCOPE, FUNCTION, FOLD = "call", "subgraph", "scope", "function", "fold"
LIBRARY = "library"  # the equations one library call of the user's made (``jnp.where``)
REST = "rest"  # in a fold, the repeats after the first
ARGUMENT = "argument"  # the many inputs (or results) of one argument pytree
ARGUMENT_MIN_LEAVES = 24  # an argument with this many arrays or more is one box at first
MANY_ENDS = 12  # inputs and results together past this: each pytree of several is a box
# characters: inputs (or results) side by side past this make a picture wide (about 1,280
# points of ovals at the labels' 10 pt, each padded by about six characters' room)
WIDE_ROW = 180
_ARGUMENT_NAME = re.compile(r"^[^\[.(]+")  # "params[3]['w']" → "params"
_NUMBER = re.compile(r" #?\d+")  # "block #3 (backward)" → "block (backward)"


@dataclass
class Group:
    """A set of nodes that can be shown as one."""

    id: str  # for CALL groups, the id of the equation holding the nested jaxprs
    kind: str  # CALL, SUBGRAPH, SCOPE, FUNCTION, FOLD or REST
    label: str  # "jit f", "cond", "branches[0]", "layer1", "block #3", "block ×12"
    parent: str | None
    depth: int
    equations: int = 0
    primitive: str = ""
    repeats: int = 0  # for a FOLD: how many repeats it holds
    values: int = 0  # for an ARGUMENT: how many inputs or results it holds


def argument_groups(nodes: list[Node], names: dict[str, str] | None = None,
                    parent: str | None = None, depth: int = 1
                    ) -> list[tuple[Group, list[str]]]:
    """The inputs and results, by the argument (or result) pytree they belong to (``names``:
    each node's Python path; by default the top level's own), where one holds
    ``ARGUMENT_MIN_LEAVES`` arrays or more: a 48-layer model's 288 parameters are one box,
    ``params · 288 inputs``, that opens to all of them. Where the inputs and results are
    that many together (a train step's params, optimizer state and their updates), more than
    ``MANY_ENDS`` together (a 3-layer model's six parameters and their gradients), or their
    ovals side by side would be wider than a screen (a haiku MLP's six parameters, each named
    ``params['mlp/~/linear_0']['w']``), every pytree of two arrays or more is one box: a row
    of ovals is what makes a picture wide."""
    if names is None:
        names = {n.id: n.display_name for n in nodes if n.display_name}
    found: dict[tuple[str, str], list[str]] = {}
    for node in nodes:
        name = names.get(node.id)
        if node.kind in ("input", "output") and name:
            match = _ARGUMENT_NAME.match(name)
            if match:
                found.setdefault((node.kind, match.group(0)), []).append(node.id)
    total = sum(len(ids) for ids in found.values())
    wide = _row_width(nodes, names, "input") > WIDE_ROW or \
        _row_width(nodes, names, "output") > WIDE_ROW
    least = 2 if total >= ARGUMENT_MIN_LEAVES or total > MANY_ENDS or wide \
        else ARGUMENT_MIN_LEAVES
    prefix = f"{parent}/" if parent else ""
    return [(Group(f"{prefix}{kind}s:{name}", ARGUMENT, name, parent, depth,
                   primitive=f"{kind}s", values=len(ids)), ids)
            for (kind, name), ids in found.items() if len(ids) >= least]


def _row_width(nodes: list[Node], names: dict[str, str], kind: str) -> int:
    """About how wide the ovals of the inputs (or results) are side by side, in characters:
    each oval's longest line (its name, or its variable and type) and its padding."""
    return sum(max(len(names.get(n.id, "")), len(n.label) + 12) + 6
               for n in nodes if n.kind == kind)


def stage_arguments(graph, wrapper: Node | None, call: Group | None
                    ) -> list[tuple[Group, list[str]]]:
    """The stage's argument boxes, and for a stage that is one call (``jit(f)``) its body's
    too, inside the call: the same pytrees again, one box each as at the top."""
    found = argument_groups(graph.nodes)
    if wrapper is not None and call is not None and len(wrapper.subgraphs) == 1:
        found += argument_groups(wrapper.subgraphs[0].nodes, body_names(graph, wrapper),
                                 call.id, call.depth + 1)
    return found


def library_label(run, members: list[Node], owners: dict, around: str
                  ) -> tuple[str, str, int, bool]:
    """(kind, label, scopes its members share, whether those are drawn outside it) of a
    library call's group: a scope it owns alone names the module in its label."""
    shared = common_scopes(members)
    if len(owners.get((shared, run.key[-1]), ())) > 1:  # a named scope around several calls
        return LIBRARY, run.label, len(shared), True
    return LIBRARY, module_label(run.label, members, around), len(shared), False


def body_names(graph, wrapper: Node) -> dict[str, str]:
    """The Python paths of a call's body inputs and results: those of the top-level inputs
    feeding it and of the results it feeds (``params['w']``), matched through its ports."""
    body = wrapper.subgraphs[0]
    named = {n.id: n.display_name for n in graph.nodes if n.display_name}
    into = {e.dst_port: named.get(e.src, "") for e in graph.edges if e.dst == wrapper.id}
    out = {e.src_port: named.get(e.dst, "") for e in graph.edges if e.src == wrapper.id}
    names = {}
    inputs = [n for n in body.nodes if n.kind == "input"]
    outputs = [n for n in body.nodes if n.kind == "output"]
    for node, port in zip(inputs, body.input_ports):
        names[node.id] = into.get(port, "") if port is not None else ""
    for node, port in zip(outputs, body.output_ports):
        names[node.id] = out.get(port, "") if port is not None else ""
    return {k: v for k, v in names.items() if v}


def fold_repeats(groups: dict[str, Group], group_of: dict[str, str | None],
                 nodes: dict[str, Node]) -> None:
    """Insert a FOLD group above every run of two or more structurally equal repeats."""
    members: dict[str | None, list[Node]] = {}
    for nid, gid in group_of.items():
        if nodes[nid].kind == EQN:
            members.setdefault(gid, []).append(nodes[nid])
    children: dict[str | None, list[str]] = {}
    for gid, group in groups.items():
        children.setdefault(group.parent, []).append(gid)
    shape = _Signatures(members, children)
    for parent, kids in list(children.items()):
        for run in _runs(kids, groups, shape):
            _fold(run, parent, groups)
    _renumber_depths(groups)


class _Signatures:
    """A group's structure, computed once: its equations and inner groups, in order."""

    def __init__(self, members, children):
        self.members, self.children, self.memo = members, children, {}

    def of(self, gid: str) -> tuple:
        if gid not in self.memo:
            eqns = tuple((n.primitive, n.params_short, tuple(p.type for p in n.outputs))
                         for n in self.members.get(gid, ()))
            self.memo[gid] = (eqns, tuple(self.of(c) for c in self.children.get(gid, ())))
        return self.memo[gid]


def _runs(kids: list[str], groups: dict[str, Group], shape: _Signatures) -> list[list[str]]:
    """Runs of consecutive repeats: same kind of call or iteration, same structure."""
    runs, current = [], []
    for gid in kids:
        group = groups[gid]
        key = (_NUMBER.sub("", group.label), shape.of(gid)) if group.kind == FUNCTION else None
        if current and key is not None and key == current[0][1]:
            current.append((gid, key))
            continue
        if len(current) > 1:
            runs.append([g for g, _ in current])
        current = [(gid, key)] if key is not None else []
    if len(current) > 1:
        runs.append([g for g, _ in current])
    return runs


def _fold(run: list[str], parent: str | None, groups: dict[str, Group]) -> None:
    first = groups[run[0]]
    stem = _NUMBER.sub("", first.label)
    word, _, rest = stem.partition(" (")
    label = f"{word} ×{len(run)}" + (f" ({rest}" if rest else "")
    fold = Group(f"{run[0]}/fold", FOLD, label, parent, first.depth,
                 sum(groups[g].equations for g in run), repeats=len(run))
    rest = None
    if len(run) > 2:  # the repeats after the first, one box until asked for
        rest = Group(f"{fold.id}/rest", REST, f"{word} ×{len(run) - 1} more, same structure",
                     fold.id, first.depth, sum(groups[g].equations for g in run[1:]),
                     repeats=len(run) - 1)
    rebuilt = {}
    for gid, group in groups.items():  # the fold comes just before the repeats it holds
        if gid == run[0]:
            rebuilt[fold.id] = fold
        if rest is not None and gid == run[1]:
            rebuilt[rest.id] = rest
        rebuilt[gid] = group
    groups.clear()
    groups.update(rebuilt)
    for k, gid in enumerate(run):
        groups[gid].parent = rest.id if rest is not None and k else fold.id


def _renumber_depths(groups: dict[str, Group]) -> None:
    """Depths again from the parents (a fold put its repeats one level deeper)."""
    depth: dict[str, int] = {}
    for gid in groups:  # parents come before their children
        parent = groups[gid].parent
        depth[gid] = depth.get(parent, 0) + 1 if parent is not None else 1
        groups[gid].depth = depth[gid]


def common_scopes(members: list[Node]) -> tuple[str, ...]:
    """The named scopes every member is under (a library call's: ``('MLP', 'dense1')``)."""
    paths = [tuple(scopes_of(n)) for n in members]
    shared = paths[0] if paths else ()
    for path in paths[1:]:
        k = 0
        while k < min(len(shared), len(path)) and shared[k] == path[k]:
            k += 1
        shared = shared[:k]
    return shared


def scope_owners(runs: dict, placed: dict[str, str | None], nodes: dict[str, Node]
                 ) -> dict[tuple, set]:
    """For each (scope path, direction) that runs in one stretch of the program: the groups
    holding its equations. One such stretch over several calls is a ``jax.named_scope``
    around them; a path that one call owns alone is a module's (flax's ``dense1``), and so is
    one that comes back between other code (equinox's ``eqx.nn.Conv``, once per conv)."""
    owners: dict[tuple, set] = {}
    stretches: dict[tuple, int] = {}
    last = None
    for nid, gid in placed.items():
        node = nodes.get(nid)
        if node is None or node.kind != EQN:
            continue
        run = runs.get(gid)
        direction = run.key[-1] if run is not None else (
            -1 if "transpose" in transforms_of(node) else 1)
        key = (tuple(scopes_of(node)), direction)
        owners.setdefault(key, set()).add(gid)
        if key != last:
            stretches[key] = stretches.get(key, 0) + 1
            last = key
    return {key: gids for key, gids in owners.items() if stretches[key] == 1}


def module_label(label: str, members: list[Node], parent: str) -> str:
    """A library call that built a named module (flax's ``nn.Dense(10, name="dense1")``)
    says the module's name first: ``dense1 · nn.Dense · line 12``."""
    only = common_scopes(members)
    if only:
        name = only[-1].rsplit("/", 1)[-1]
        if name == _NUMBER.sub("", parent).removesuffix(" (backward)"):  # MLP's in MLP
            return label
        if "." in name:  # a class path (equinox's eqx.nn.Conv) after the name used
            return label.replace(" · line", f" · {name} · line", 1)
        return f"{name} · {label}"
    return label
