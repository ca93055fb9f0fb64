"""Per-equation cost of a traced jaxpr: our shape rules (``core/xla/cost.py``), with the FLOPs of
each plain equation taken from ``jax.experimental.roofline`` where JAX has a rule for it.

Roofline's rule table (``roofline._rooflines``) and its rule context have no public per-equation
entry point; they are read here, and when they are missing every equation keeps our rule
(each cost says which rule gave it).
"""

from __future__ import annotations

import importlib
import logging

from jaxviz.core.ir.graph import Graph
from jaxviz.core.xla.cost import EquationCost, equation_costs
from jaxviz.trace.jaxpr_walk import holds_jaxpr, walk_equations


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
        if rule is None or holds_jaxpr(eqn.params):
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
