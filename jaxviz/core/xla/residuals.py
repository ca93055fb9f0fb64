"""Residuals: the values the forward pass of a gradient saves for its backward pass.

Found in the graph IR: an equation is in the backward pass when a ``transpose`` made it
(``transforms_of``); a residual is a value made outside the backward pass (a forward-pass
result, an input or a constant) that some backward-pass equation reads. Under ``checkpoint``
the backward pass recomputes what it needs inside its own ``checkpoint`` equations, so fewer
values cross: the listing shows what a policy (``dots_saveable``, ...) keeps. The worker puts
JAX's own listing (``saved_residuals``) beside it to compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.graph import EQN, Graph, Node, transforms_of
from .cost import port_bytes


@dataclass
class Residual:
    producer: str  # node id of what makes it (an equation, an input or a constant)
    port: int
    name: str
    type: str
    bytes: int
    made_by: str  # the primitive, or "input" / "constant"
    line: int | None
    readers: list[str] = field(default_factory=list)  # backward-pass equations reading it


def is_backward(node: Node) -> bool:
    return node.kind == EQN and "transpose" in transforms_of(node)


def has_backward(stage) -> bool:
    """Whether any equation of the stage is a backward one; worked out once per stage and
    kept on it (a walk over 100,000 nodes is 60 ms: the window asks on every stage shown,
    and the window's stage set asks first, off the GUI thread)."""
    known = stage.__dict__.get("_has_backward")
    if known is None:
        known = stage.__dict__["_has_backward"] = any(
            is_backward(n) for n in stage.graph.walk_nodes())
    return known


def residuals(graph: Graph) -> list[Residual]:
    """The residuals in every jaxpr of the stage (those of a ``jit``'s body are inside it)."""
    holders = {n.id: n for n in graph.walk_nodes()}
    found: list[Residual] = []
    for sub in graph.walk_graphs():
        holder = holders.get(sub.id.rsplit("/g", 1)[0]) if sub.id else None
        if holder is None or not is_backward(holder):  # inside one, everything is backward
            found += _graph_residuals(sub)
    return found


def _graph_residuals(graph: Graph) -> list[Residual]:
    nodes = {n.id: n for n in graph.nodes}
    if not any(is_backward(n) for n in graph.nodes):
        return []
    crossing: dict[tuple[str, int], Residual] = {}
    for edge in graph.edges:
        src, dst = nodes.get(edge.src), nodes.get(edge.dst)
        if src is None or dst is None or is_backward(src) or not is_backward(dst):
            continue
        key = (edge.src, edge.src_port)
        if key not in crossing:
            crossing[key] = Residual(edge.src, edge.src_port, edge.var, edge.type,
                                     port_bytes(edge.shape, edge.dtype), _made_by(src),
                                     src.line)
        crossing[key].readers.append(edge.dst)
    return list(crossing.values())


def _made_by(node: Node) -> str:
    return node.primitive if node.kind == EQN else {"input": "input",
                                                    "const": "constant"}.get(node.kind, "")


def type_counts(types: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in types:
        counts[t] = counts.get(t, 0) + 1
    return dict(sorted(counts.items()))


def compare_with_jax(ours: list[Residual], jax_listing: list[list[str]]) -> dict:
    """Both listings as counts per type, and whether they agree. JAX lists the literals its
    linear function closes over ("from a literal", the 3.0 of ``3.0 * x``); the jaxpr writes
    them inline in the backward equations, no value crosses: they are counted apart."""
    literal = [t for t, text in jax_listing if text == "from a literal"]
    mine = type_counts([r.type for r in ours])
    theirs = type_counts([t for t, text in jax_listing if text != "from a literal"])
    return {"ours": mine, "jax": theirs, "agree": mine == theirs, "jax_literals": len(literal),
            "ours_bytes": sum(r.bytes for r in ours)}
