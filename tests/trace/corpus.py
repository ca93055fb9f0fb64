"""Check one program of the primitive corpus against JAX and XLA, as the test and the
benchmark both do: the graph's equations per nesting against ``jax.extend.core``'s own
``jaxprs_in_params``, every node on its line of JAX's text, ``| compile`` wherever plain
``jax.jit(f).lower(...).compile()`` works, and every equation placed in a kernel (or given a
reason: dead, folded, merged, inlined)."""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
from jax.extend import core as jcore

from jaxviz.core.ir.graph import EQN
from jaxviz.trace.session import prepare, trace_source
from tests.data.primitives import Program

FILE = "<corpus>"


@dataclass
class Checked:
    name: str
    pipeline: str
    equations: int = 0  # in the graph
    jax_equations: int = 0  # found by JAX's own jaxprs_in_params
    nesting_differs: list[str] = field(default_factory=list)
    unlinked: list[str] = field(default_factory=list)  # nodes with no line of JAX's text
    compiled: bool = False
    plain_compiles: bool = False
    unmapped: list[str] = field(default_factory=list)
    map_via: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return (not self.error and not self.nesting_differs and not self.unlinked
                and self.compiled == self.plain_compiles and not self.unmapped
                and self.equations == self.jax_equations)


def jax_tree(jaxpr) -> list:
    """[(primitive, [subtree, ...]), ...]: the nesting as JAX itself finds it."""
    return [(eqn.primitive.name, [jax_tree(sub) for sub in jcore.jaxprs_in_params(eqn.params)])
            for eqn in jaxpr.eqns]


def graph_tree(graph) -> list:
    return [(n.primitive, [graph_tree(sub) for sub in n.subgraphs])
            for n in graph.nodes if n.kind == EQN]


def tree_size(tree: list) -> int:
    return sum(1 + sum(tree_size(sub) for sub in subs) for _, subs in tree)


def tree_differences(ours: list, theirs: list, path: str = "") -> list[str]:
    if len(ours) != len(theirs):
        return [f"{path or 'top'}: {len(ours)} equations, JAX {len(theirs)}"]
    found = []
    for k, ((prim, subs), (jprim, jsubs)) in enumerate(zip(ours, theirs)):
        if prim != jprim or len(subs) != len(jsubs):
            found.append(f"{path}e{k}: {prim} with {len(subs)} jaxprs, JAX {jprim} "
                         f"with {len(jsubs)}")
            continue
        for j, (a, b) in enumerate(zip(subs, jsubs)):
            found += tree_differences(a, b, f"{path}e{k}/g{j}/")
    return found


def unlinked_nodes(stage) -> list[str]:
    """Equations whose text line is missing or prints another equation."""
    lines = stage.jaxpr.splitlines()
    bad = []
    for node in stage.graph.walk_nodes():
        if node.kind != EQN:
            continue
        line = " ".join(lines[node.text_line].split()) if node.text_line is not None else ""
        named = [p.name for p in node.outputs if p.name != "_"]
        if not node.outputs:  # no results: the line starts with the primitive
            if not line.startswith(node.primitive):
                bad.append(f"{node.id} {node.primitive}")
        # a long left-hand side wraps: its last result is on the line of ``=``
        elif f"= {node.primitive}" not in line or (named and f"{named[-1]}:" not in line):
            bad.append(f"{node.id} {node.primitive}")
    return bad


def plain_compiles(plan) -> bool:
    try:
        jax.jit(plan.fn).lower(*plan.args, **plan.kwargs).compile()
    except Exception:  # noqa: BLE001 - whatever plain JAX raises, jaxviz may raise too
        return False
    return True


def check(program: Program, pipeline: str) -> Checked:
    result = Checked(program.name, pipeline)
    prepared, error = prepare(program.source, FILE, "f", program.args, pipeline)
    if error:
        result.error = error.message
        return result
    plan = prepared.plans[-1]
    closed = jax.make_jaxpr(plan.fn)(*plan.args, **plan.kwargs)
    theirs = jax_tree(closed.jaxpr)
    result.jax_equations = tree_size(theirs)
    result.plain_compiles = plain_compiles(plan)
    stages, error = trace_source(program.source, FILE, "f", program.args,
                                 f"{pipeline} | compile")
    jaxpr_stage = next((s for s in stages if s.transform != "compile"
                        and s.index == len(prepared.plans) - 1), None)
    if jaxpr_stage is None:
        result.error = error.message if error else "no jaxpr stage"
        return result
    ours = graph_tree(jaxpr_stage.graph)
    result.equations = tree_size(ours)
    result.nesting_differs = tree_differences(ours, theirs)
    result.unlinked = unlinked_nodes(jaxpr_stage)
    compiled = stages[-1] if stages[-1].transform == "compile" else None
    result.compiled = compiled is not None and error is None
    if compiled is not None:
        result.map_via = compiled.reference.get("map_via", "")
        result.unmapped = sorted(k for k, p in compiled.fusions.items()
                                 if p["status"] == "unmapped")
    return result
