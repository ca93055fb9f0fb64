"""Structural pairing of two stages: which equations a transformation kept, changed, added,
removed (``diff.diff_stages`` adds the summary in words).

Equations are compared by what they are, never by their text or variable names: primitive,
params, operand structure (which operands are literals, inputs or results of which primitive),
output types, source location and named scopes (transform wrappers such as ``jvp(...)``
stripped). Nested jaxprs are flattened into the comparison, so an equation inside a ``jit`` or
a ``cond`` branch finds its counterpart wherever it went. Matching runs in two passes:

1. *strict*: everything equal → ``unchanged``;
2. *loose*: same primitive, source location and scopes, new shapes or params → ``changed``.

What is left is ``removed`` (only before) or ``added`` (only after). Call equations (jit,
shard_map, pmap) that appear around matched equations are *wrappers*, not additions: jit of a
stage is recognised as wrapping it, with its body unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from ..ir.graph import EQN, INPUT, Graph, Node, Stage, scopes_of

UNCHANGED, CHANGED, ADDED, REMOVED = "unchanged", "changed", "added", "removed"
CLASSES = (UNCHANGED, CHANGED, ADDED, REMOVED)
WRAPPER_PRIMITIVES = {"jit", "pjit", "shard_map", "xla_pmap", "xla_call", "closed_call",
                      "core_call"}


@dataclass
class FlatEqn:
    """An equation of a stage, wherever it is nested, with what identifies it."""

    node: Node
    parents: list[str]  # ids of the call equations around it, outermost first
    operands: tuple  # ("lit", text) / ("in", index) / ("eqn", producer primitive) per operand


@dataclass
class Pair:
    before: str | None  # node id in the earlier stage
    after: str | None  # node id in the later stage
    cls: str
    primitive: str
    before_type: str = ""
    after_type: str = ""


@dataclass
class StageDiff:
    before: str  # stage titles
    after: str
    transform: str
    pairs: list[Pair] = field(default_factory=list)
    wrappers: list[str] = field(default_factory=list)  # node ids (after) of wrapping calls
    counts: dict[str, int] = field(default_factory=dict)
    summary: str = ""

    def classes_after(self) -> dict[str, str]:
        """Class of each equation of the later stage (wrappers: "wrapper")."""
        out = {p.after: p.cls for p in self.pairs if p.after}
        out.update({w: "wrapper" for w in self.wrappers})
        return out

    def classes_before(self) -> dict[str, str]:
        return {p.before: p.cls for p in self.pairs if p.before}

    def partner(self, node_id: str, side: str) -> str | None:
        """The matched equation on the other side (side: "before" or "after" of node_id)."""
        for p in self.pairs:
            if side == "before" and p.before == node_id:
                return p.after
            if side == "after" and p.after == node_id:
                return p.before
        return None

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update({c: self.counts.get(c, 0) for c in CLASSES})
        return data


def flatten(graph: Graph) -> list[FlatEqn]:
    """Every equation of a graph and its nested graphs, in program order."""
    out: list[FlatEqn] = []
    _flatten(graph, [], out)
    return out


def _flatten(graph: Graph, parents: list[str], out: list[FlatEqn]) -> None:
    kinds = {n.id: n for n in graph.nodes}
    inputs = {n.id: i for i, n in enumerate(n for n in graph.nodes if n.kind == INPUT)}
    incoming: dict[str, dict[int, str]] = {}
    for e in graph.edges:
        incoming.setdefault(e.dst, {})[e.dst_port] = e.src
    for node in graph.nodes:
        if node.kind != EQN:
            continue
        literals = {lit.position: lit.text for lit in node.literals}
        operands = []
        for pos in range(node.arity):
            src = incoming.get(node.id, {}).get(pos)
            if pos in literals:
                operands.append(("lit", literals[pos]))
            elif src in inputs:
                operands.append(("in", inputs[src]))
            else:
                producer = kinds.get(src)
                operands.append(("eqn", producer.primitive if producer else "?"))
        out.append(FlatEqn(node, list(parents), tuple(operands)))
        for sub in node.subgraphs:
            _flatten(sub, parents + [node.id], out)


def _params_key(node: Node) -> tuple:
    return tuple(sorted((k, v) for k, v in node.params.items() if v not in ("{jaxpr}",)
                        and not v.endswith(" jaxprs)")))


def strict_key(e: FlatEqn) -> tuple:
    n = e.node
    return (n.primitive, _params_key(n), e.operands, tuple(p.type for p in n.outputs),
            n.line, n.column, tuple(scopes_of(n)))


def loose_key(e: FlatEqn) -> tuple:
    n = e.node
    return (n.primitive, n.line, n.column, tuple(scopes_of(n)))


def _match(before: list[FlatEqn], after: list[FlatEqn], key, taken_b: set, taken_a: set,
           cls: str, pairs: list[Pair]) -> None:
    """Pair each unmatched earlier equation with the first unmatched later one of equal key."""
    waiting: dict[tuple, list[int]] = {}
    for j, e in enumerate(after):
        if j not in taken_a:
            waiting.setdefault(key(e), []).append(j)
    for i, e in enumerate(before):
        if i in taken_b:
            continue
        queue = waiting.get(key(e))
        if queue:
            j = queue.pop(0)
            taken_b.add(i)
            taken_a.add(j)
            pairs.append(Pair(e.node.id, after[j].node.id, cls, e.node.primitive,
                              _types(e.node), _types(after[j].node)))


def _types(node: Node) -> str:
    return ", ".join(p.type for p in node.outputs)


def pair_stages(before: Stage, after: Stage) -> StageDiff:
    """The pairs and counts from one stage to another (usually the next), no summary."""
    a, b = flatten(before.graph), flatten(after.graph)
    pairs: list[Pair] = []
    taken_b: set[int] = set()
    taken_a: set[int] = set()
    _match(a, b, strict_key, taken_b, taken_a, UNCHANGED, pairs)
    _match(a, b, loose_key, taken_b, taken_a, CHANGED, pairs)
    matched_parents = {p for j in taken_a for p in b[j].parents}
    wrappers = [e.node.id for j, e in enumerate(b) if j not in taken_a
                and e.node.primitive in WRAPPER_PRIMITIVES and e.node.id in matched_parents]
    for j, e in enumerate(b):
        if j not in taken_a and e.node.id not in wrappers:
            pairs.append(Pair(None, e.node.id, ADDED, e.node.primitive, "", _types(e.node)))
    for i, e in enumerate(a):
        if i not in taken_b:
            pairs.append(Pair(e.node.id, None, REMOVED, e.node.primitive, _types(e.node), ""))
    result = StageDiff(before.title, after.title, after.transform, pairs, wrappers)
    result.counts = dict(Counter(p.cls for p in pairs))
    for c in CLASSES:
        result.counts.setdefault(c, 0)
    return result


def is_wrapped(d: StageDiff) -> bool:
    """The later stage wraps the earlier one whole: wrappers, nothing removed."""
    return bool(d.wrappers) and d.counts[REMOVED] == 0
