"""The graph model: a stage's IR as groups that open and close, and the graph visible now.

Groups come from nested jaxprs (an equation holding jit, cond, scan, while, remat, custom
rules, shard_map, ... as found in the IR) and from ``jax.named_scope`` names in the name stack.
A closed group is one node showing its kind, its name and its equation count. ``visible()``
gives the nodes, edges and clusters to lay out, as a networkx graph plus cluster membership.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.graph import EQN, Graph, Node, scopes_of, transforms_of
from .grouping import LIBRARY as LIBRARY_KEY
from .grouping import group_by_functions
from .groups import (
    ARGUMENT,
    CALL,
    FOLD,
    FUNCTION,
    LIBRARY,
    REST,
    SCOPE,
    SUBGRAPH,
    Group,
    fold_repeats,
    library_label,
    scope_owners,
    stage_arguments,
)
from .styles import KIND_STYLES, REMAT_SCOPE, NodeStyle, eqn_style

OPEN_MAX_EQUATIONS = 60  # a group bigger than this starts closed...
OPEN_MAX_DEPTH = 3  # ...and so does one nested deeper than this...
VISIBLE_BUDGET = 400  # ...and opening stops once this many equations are visible
BUNDLE_MIN = 4  # this many values or more between a closed box and one node are one edge
LIBRARY_OPEN_MAX = 3  # a library call of more equations starts closed (jnp.tanh's 2 do not)
MAX_OPEN_GROUPS = 16  # ...or this many groups are open (80 open layers read worse than 80 boxes)
WRAPPERS = ("jit", "pjit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call",
            "checkpoint", "remat", "shard_map", "call")  # a stage that is one of these opens it
# ...and an XLA fusion starts closed: the compiled program reads first as its kernels
CLOSED_FIRST = ("fusion",)



@dataclass
class VisibleNode:
    """One node as drawn: an equation, input, constant, output, or a closed group."""

    id: str  # the IR node id, or the group id for a closed group
    kind: str  # "eqn", "input", "const", "output" or "group"
    lines: list[str]  # the label, line by line
    style: NodeStyle
    cluster: str | None  # the innermost open group it sits in


@dataclass
class VisibleEdge:
    src: str
    dst: str
    var: str
    type: str
    dst_port: int = 0


@dataclass
class VisibleGraph:
    nodes: dict[str, VisibleNode] = field(default_factory=dict)
    edges: list[VisibleEdge] = field(default_factory=list)
    clusters: dict[str, Group] = field(default_factory=dict)  # open groups with visible content



def one_line(text: str) -> str:
    """User text (scope names, params) on one label line; checkpoint's recomputation named."""
    if text == REMAT_SCOPE:
        return "forward, recomputed (checkpoint)"
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def node_lines(node: Node) -> list[str]:
    """The label of an equation, input, constant or output, one entry per line."""
    return [one_line(line) for line in _raw_lines(node)]


def _raw_lines(node: Node) -> list[str]:
    if node.kind == EQN:
        head = f"{node.primitive} {node.params_short}".strip()
        if node.effects:  # a side effect: it runs at every call, and jit keeps it
            head = f"⚡ {head}"
        if not node.literals:
            return [head]
        # literal operands shown in place, the others as •: "mul 4.0 •" for `mul 4.0 b`
        by_pos = {lit.position: lit.text.split(":")[0] for lit in node.literals}
        arity = max(node.arity, max(by_pos) + 1)
        return [head, " ".join(by_pos.get(i, "•") for i in range(arity))]
    port = node.outputs[0].type if node.outputs else ""
    name = node.display_name or node.label
    if node.display_name and node.display_name != node.label:
        return [name, f"{node.label}:{port}"] if port else [name]
    return [f"{name}:{port}"] if port else [name]


class GraphModel:
    """A stage's graph with an open/closed state per group."""

    def __init__(self, graph: Graph, open_groups: set[str] | None = None,
                 expand_all: bool = False, depth: int | None = None, jax_nesting: bool = False):
        self.graph, self.jax_nesting = graph, jax_nesting  # True: JAX's nesting only
        self.nodes: dict[str, Node] = {n.id: n for n in graph.walk_nodes()}
        self.groups: dict[str, Group] = {}
        self.group_of: dict[str, str | None] = {}  # node id → innermost group holding it
        self.loop_spans = graph.loop_spans
        self._closed_cache: dict | None = None  # see _closed_at_or_above
        self._collect(graph, None, 0)
        fold_repeats(self.groups, self.group_of, self.nodes)
        only = self._only_call()  # jit(f): its body's arguments are boxes as at the top
        for group, members in stage_arguments(graph, self.nodes.get(only), self.groups.get(only)):
            self.groups[group.id] = group
            self.group_of.update(dict.fromkeys(members, group.id))
        if expand_all:
            self.open = set(self.groups)
        elif depth is not None:  # --depth N: every group down to N open, none below
            self.open = self.open_to_depth(depth)
        elif open_groups is None:
            self.open = self._default_open()
        else:
            self.open = set(open_groups) & set(self.groups)

    # --- groups ---------------------------------------------------------------------------

    def _collect(self, graph: Graph, parent: str | None, depth: int) -> None:
        runs, placed = ({}, {}) if self.jax_nesting else group_by_functions(
            graph.nodes, f"{graph.id}/" if graph.id else "", parent, self.loop_spans)
        by_id = {n.id: n for n in graph.nodes} if runs else {}
        owners = scope_owners(runs, placed, by_id)
        inside: dict[str, int] = {}  # library group → scopes its members share, drawn outside
        for run in runs.values():  # parents come before their children
            kind, label, holder = FUNCTION, run.label, run.parent
            if run.key[0] == LIBRARY_KEY:
                members = [by_id[m] for m in run.members]
                around = self.groups[holder].label if holder in self.groups else ""
                kind, label, shared, hoist = library_label(run, members, owners, around)
                if hoist:  # a named scope around several calls: drawn outside them
                    holder = self._scope_group(members[0], holder, shared)
                inside[run.gid] = shared
            self.groups[run.gid] = Group(run.gid, kind, label, holder, self._depth(holder) + 1)
        for node in graph.nodes:
            where = placed.get(node.id, parent)
            holder = self._scope_group(node, where, None, inside.get(where, 0)) \
                if node.kind == EQN else parent
            self.group_of[node.id] = holder
            self._count(holder, node)
            if node.subgraphs:
                self._call_group(node, holder)

    def _scope_group(self, node: Node, parent: str | None, upto: int | None = None,
                     start: int = 0) -> str | None:
        """The group of the node's named scopes ``start:upto`` under ``parent``."""
        holder = parent
        path = scopes_of(node)
        for i in range(start, len(path) if upto is None else upto):
            gid = f"{parent or ''}/s:{'/'.join(path[:i + 1])}"
            if gid not in self.groups:
                self.groups[gid] = Group(gid, SCOPE, one_line(path[i]), holder,
                                         self._depth(holder) + 1)
            holder = gid
        return holder

    def _call_group(self, node: Node, holder: str | None) -> None:
        label = f"{node.primitive} {node.params_short}".strip()
        self.groups[node.id] = Group(node.id, CALL, label, holder, self._depth(holder) + 1,
                                     primitive=node.primitive)
        for sub in node.subgraphs:
            inner = node.id
            if len(node.subgraphs) > 1:
                self.groups[sub.id] = Group(sub.id, SUBGRAPH, sub.name, node.id,
                                            self._depth(node.id) + 1, primitive=node.primitive)
                inner = sub.id
            self._collect(sub, inner, self._depth(inner))

    def _depth(self, gid: str | None) -> int:
        return self.groups[gid].depth if gid else 0

    def _count(self, gid: str | None, node: Node) -> None:
        if node.kind != EQN:
            return
        while gid is not None:
            self.groups[gid].equations += 1
            gid = self.groups[gid].parent

    def _default_open(self) -> set[str]:
        """Small, shallow groups open, in breadth order, until the budget is spent."""
        opened: set[str] = set()
        budget = VISIBLE_BUDGET
        only = self._only_call()
        if only is not None:  # jit(f): all of it is inside the one call, so that opens...
            direct = sum(1 for gid in self.group_of.values() if gid == only)
            if direct <= budget:  # ...unless what it shows directly is more than a view
                opened.add(only)
                budget -= direct
        for group in sorted(self.groups.values(), key=lambda g: (g.depth, g.id)):
            if group.parent is not None and group.parent not in opened:
                continue
            if group.kind == SUBGRAPH:  # one of several jaxprs: shown whenever its call is
                opened.add(group.id)
                continue
            if group.kind == ARGUMENT or group.kind == LIBRARY and \
                    group.equations > LIBRARY_OPEN_MAX:  # a library's internals: on request
                continue
            if group.depth > OPEN_MAX_DEPTH or group.equations > min(OPEN_MAX_EQUATIONS, budget) \
                    or group.primitive in CLOSED_FIRST:
                continue
            if sum(1 for g in opened if self.groups[g].kind != SUBGRAPH) >= MAX_OPEN_GROUPS:
                break
            opened.add(group.id)
            budget -= group.equations
        return opened

    def _only_call(self) -> str | None:
        """The group of the top level's one equation, when the stage is one call wrapping
        everything (``jit(f)``, a custom rule); a loop or a branch is not a wrapper."""
        eqns = [n for n in self.graph.nodes if n.kind == EQN]
        calls = [n for n in eqns if n.id in self.groups and n.primitive in WRAPPERS]
        if len(calls) == 1 and (len(eqns) == 1 or calls[0].primitive == "call"):
            return calls[0].id  # (an HLO call comes with the tuple plumbing around it)
        return None

    def ancestors(self, node_id: str) -> list[str]:
        """Groups holding a node (or group), innermost first."""
        chain = []
        gid = self.groups[node_id].parent if node_id in self.groups else self.group_of.get(node_id)
        while gid is not None:
            chain.append(gid)
            gid = self.groups[gid].parent
        return chain

    def toggle(self, gid: str) -> None:
        """Open a closed group or close an open one (with the jaxprs of a call, if several)."""
        if gid not in self.groups:
            return
        if gid in self.open:
            self.open -= {gid} | {g for g in self.groups if gid in self.ancestors(g)}
        else:
            self.open.add(gid)
            self.open |= {g.id for g in self.groups.values()
                          if g.kind == SUBGRAPH and g.parent == gid}

    def open_to_depth(self, depth: int) -> set[str]:
        """The groups at depth ``depth`` or above (top level: 1), with the jaxprs of calls."""
        return {g.id for g in self.groups.values() if g.depth <= depth
                or g.kind == SUBGRAPH and g.depth <= depth + 1}

    def open_all(self) -> None:
        self.open = set(self.groups)

    def representative(self, node_id: str) -> str:
        """The visible node standing for a node: itself, or its outermost closed group."""
        holder = self.groups[node_id].parent if node_id in self.groups \
            else self.group_of.get(node_id)
        return self._closed_at_or_above(holder) or node_id

    def _closed_at_or_above(self, gid: str | None) -> str | None:
        """The outermost closed group among ``gid`` and its ancestors (None: all open).
        Inside ``visible()`` the answers are kept per group: 100,000 nodes ask it about a
        few thousand groups."""
        cache = self._closed_cache
        if cache is not None and gid in cache:
            return cache[gid]
        found = None
        g = gid
        while g is not None:
            if g not in self.open:
                found = g
            g = self.groups[g].parent
        if cache is not None:
            cache[gid] = found
        return found

    # --- the visible graph ----------------------------------------------------------------

    def visible(self) -> VisibleGraph:
        self._closed_cache = {}  # the open state cannot change while the view is made
        try:
            return self._visible()
        finally:
            self._closed_cache = None

    def _visible(self) -> VisibleGraph:
        view = VisibleGraph()
        for node in self.nodes.values():
            self._add_visible_node(view, node)
        for gid, group in self.groups.items():
            if gid not in self.open and self.representative(gid) == gid and gid not in view.nodes:
                view.nodes[gid] = self._group_node(group)
        for gid in self.groups:  # in program order, so layouts are deterministic
            if gid in self.open and self.representative(gid) == gid:
                view.clusters[gid] = self.groups[gid]
        self._add_visible_edges(view)
        return view

    def _add_visible_node(self, view: VisibleGraph, node: Node) -> None:
        if self.representative(node.id) != node.id:
            return
        if node.id in self.groups:  # a call group: a cluster when open, a group node when closed
            if node.id not in self.open:
                view.nodes[node.id] = self._group_node(self.groups[node.id])
            return
        style = eqn_style(node.primitive, transforms_of(node), node.unused, scopes_of(node)) \
            if node.kind == EQN else KIND_STYLES[node.kind]
        view.nodes[node.id] = VisibleNode(node.id, node.kind, node_lines(node), style,
                                          self._open_cluster(node.id))

    def _group_node(self, group: Group) -> VisibleNode:
        kind = group.kind if group.kind in (SCOPE, FUNCTION, LIBRARY) else group.primitive
        if group.kind in (FOLD, REST):
            kind = f"{group.repeats} alike"
        unit = "op" if self.graph.kind == "hlo" else "eqn"  # an HLO graph holds instructions
        count = f"{group.equations} {unit}" + ("s" if group.equations != 1 else "")
        if group.kind == ARGUMENT:
            kind, count = "argument" if group.primitive == "inputs" else "result", \
                f"{group.values:,} {group.primitive}"
        lines = [f"▸ {group.label}", f"{kind} · {count}"]
        return VisibleNode(group.id, "group", lines, KIND_STYLES["group"],
                           self._open_cluster(group.id))

    def _open_cluster(self, node_id: str) -> str | None:
        chain = self.ancestors(node_id)
        return chain[0] if chain else None

    def _add_visible_edges(self, view: VisibleGraph) -> None:
        seen = set()
        bundles: dict[tuple[str, str], list] = {}
        rep, nodes = self.representative, self.nodes
        for graph in self.graph.walk_graphs():
            for edge in graph.edges:
                if rep(edge.src) == rep(edge.dst) and not nodes[edge.src].subgraphs \
                        and not nodes[edge.dst].subgraphs:
                    continue  # both ends inside one closed box (most edges of a big stage)
                for src in self._sources(edge.src, edge.src_port):
                    for dst in self._targets(edge.dst, edge.dst_port):
                        key = (src, dst, edge.var)
                        if src == dst or key in seen or src not in view.nodes \
                                or dst not in view.nodes:
                            continue
                        seen.add(key)
                        if src in self.groups or dst in self.groups:  # a closed box
                            bundles.setdefault((src, dst), []).append(edge)
                        else:
                            view.edges.append(VisibleEdge(src, dst, edge.var, edge.type,
                                                          edge.dst_port))
        for (src, dst), edges in bundles.items():
            view.edges += [_bundle(src, dst, edges)] if len(edges) >= BUNDLE_MIN else \
                [VisibleEdge(src, dst, e.var, e.type, e.dst_port) for e in edges]

    def _is_open_call(self, node_id: str) -> bool:
        return node_id in self.open and self.representative(node_id) == node_id

    def _sources(self, node_id: str, port: int) -> list[str]:
        """Visible nodes a result comes from: inside an open call, its jaxprs' outputs."""
        return self._ends(node_id, port, "out", "output_ports")

    def _targets(self, node_id: str, port: int) -> list[str]:
        """Visible nodes an operand goes to: inside an open call, its jaxprs' inputs."""
        return self._ends(node_id, port, "in", "input_ports")

    def _ends(self, node_id: str, port: int, prefix: str, ports: str) -> list[str]:
        node = self.nodes[node_id]
        if node.subgraphs and self._is_open_call(node_id):
            found = [f"{sub.id}/{prefix}{i}" for sub in node.subgraphs
                     for i, p in enumerate(getattr(sub, ports)) if p == port]
            return [self.representative(f) for f in found if f in self.nodes]
        return [self.representative(node_id)]

    # --- state, for the layout process ----------------------------------------------------

    @classmethod
    def from_state(cls, state: dict) -> GraphModel:
        from ..ir.graph import gc_paused, graph_from_dict
        with gc_paused():
            return cls(graph_from_dict(state["graph"]), set(state["open"]),
                       jax_nesting=state.get("jax_nesting", False))


def _bundle(src: str, dst: str, edges: list) -> VisibleEdge:
    """The values between a closed box and one node, as one edge: its variable reads ``a…f``
    (the first and last bundled), its type how many (``6 arrays``)."""
    return VisibleEdge(src, dst, f"{edges[0].var}…{edges[-1].var}", f"{len(edges):,} arrays",
                       edges[0].dst_port)
