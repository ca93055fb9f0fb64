"""Per-equation cost of a traced jaxpr: our shape rules (``core/cost.py``), with the FLOPs of
each plain equation taken from ``jax.experimental.roofline`` where JAX has a rule for it.

Roofline's rule table (``roofline._rooflines``) and its rule context have no public per-equation
entry point; they are read here, and when they are missing every equation keeps our rule
(each cost says which rule gave it).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator

from jax.extend import core as jcore

from jaxviz.core.cost import EquationCost, equation_costs
from jaxviz.core.ir import Graph


def walk_equations(jaxpr, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(graph IR id, equation) for every equation, nested ones numbered as ``jaxpr_ir`` does."""
    for k, eqn in enumerate(jaxpr.eqns):
        node_id = f"{prefix}e{k}"
        yield node_id, eqn
        subs = [sub for value in eqn.params.values()
                for sub in jcore.jaxprs_in_params({"p": value})]
        for j, sub in enumerate(subs):
            yield from walk_equations(sub, f"{node_id}/g{j}/")


def roofline_flops(closed) -> dict[str, float]:
    """FLOPs by JAX's roofline rules, for the equations (without nested jaxprs) it has one for."""
    try:
        rl = importlib.import_module("jax.experimental.roofline.roofline")
    except ImportError:  # roofline needs absl; without it every equation keeps our rule
        return {}
    logging.getLogger("absl").setLevel(logging.ERROR)
    found: dict[str, float] = {}
    for node_id, eqn in walk_equations(closed.jaxpr):
        rule = rl._rooflines.get(eqn.primitive)
        if rule is None or any(True for _ in jcore.jaxprs_in_params(eqn.params)):
            continue
        try:
            result = rule(_context(rl, eqn), *[_shape(rl, v) for v in eqn.invars],
                          **eqn.params)
        except Exception:  # noqa: BLE001 - a rule that does not take this case: ours counts
            continue
        # unfused_flops counts every op as if alone (elementwise ones have no fused flops)
        found[node_id] = float(max(result.flops, result.unfused_flops))
    return found


def _context(rl, eqn):
    return rl.RooflineRuleContext(
        name_stack=eqn.source_info.name_stack, primitive=eqn.primitive,
        avals_in=[v.aval for v in eqn.invars], avals_out=[v.aval for v in eqn.outvars],
        jaxpr_eqn_ctx=eqn.ctx, mesh=None, pin_lhs_in_vmem=False, pin_rhs_in_vmem=False)


def _shape(rl, atom):
    aval = atom.aval
    return rl.RooflineShape(shape=tuple(aval.shape), dtype=aval.dtype)


def stage_costs(closed, graph: Graph) -> dict[str, EquationCost]:
    return equation_costs(graph, roofline_flops(closed))
