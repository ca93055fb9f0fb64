"""The one walker of the jaxprs an equation's params hold, used by every pass over a jaxpr.

JAX keeps nested jaxprs in params of many shapes: one jaxpr (``pjit``'s ``jaxpr``), a tuple
(``cond``'s ``branches``), a NamedTuple (``custom_linear_solve``'s ``jaxprs``), and a
primitive of a library may use a list, a dict or a dataclass. Every pass here (the graph,
the printer's names, the text links, the counts, the cost rules and the tagging for the
kernel map) finds them through this module, in the same order, so that the graph's
``e3/g1`` is the same jaxpr everywhere.

``replace_jaxprs`` rebuilds a param with its own type: the tagging must hand XLA's lowering
rules a ``ConvDimensionNumbers`` or a ``GatherDimensionNumbers`` exactly as JAX made it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from jax.extend import core as jcore

JAXPR_TYPES = (jcore.Jaxpr, jcore.ClosedJaxpr)
# Values that never hold a jaxpr: most params are one of these, and are skipped at once.
# types that hold no jaxpr: these, and the others met that are no container (learnt)
_HOLDS_NONE: set[type] = {int, float, bool, str, bytes, type(None), complex}
_CONTAINERS = (tuple, list, dict)


def _is_dataclass_value(value: Any) -> bool:
    return hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type)


def _children(value: Any) -> Iterator[Any]:
    """The values a container param holds, in their order (a dict's in insertion order)."""
    if isinstance(value, dict):
        yield from value.values()
    elif isinstance(value, (tuple, list)):
        yield from value
    elif _is_dataclass_value(value):
        for field in dataclasses.fields(value):
            yield getattr(value, field.name)


def jaxprs_in_value(value: Any) -> list:
    """The open jaxprs one param holds: itself, or directly inside a tuple, list, dict,
    NamedTuple or dataclass (one level, as JAX's own ``jaxprs_in_params`` looks into tuples),
    in order; a ``ClosedJaxpr`` gives its ``.jaxpr``. Called on every param of every
    equation: a type that can hold none is learnt once and skipped after."""
    kind = type(value)
    if kind in _HOLDS_NONE:
        return []
    if isinstance(value, JAXPR_TYPES):
        return [_open(value)]
    if isinstance(value, _CONTAINERS) or _is_dataclass_value(value):
        return [_open(v) for v in _children(value) if isinstance(v, JAXPR_TYPES)]
    _HOLDS_NONE.add(kind)  # an enum, a dtype, a function: never a jaxpr inside
    return []


def _open(jaxpr):
    return jaxpr.jaxpr if isinstance(jaxpr, jcore.ClosedJaxpr) else jaxpr


def param_jaxprs(params: dict) -> dict[str, list]:
    """Each param's jaxprs (params holding none are left out), in the params' order."""
    found = {}
    for name, value in params.items():
        if type(value) not in _HOLDS_NONE and (subs := jaxprs_in_value(value)):
            found[name] = subs
    return found


def holds_jaxpr(params: dict) -> bool:
    """Whether any param holds a jaxpr (called on every equation: leaves are skipped first)."""
    return any(type(v) not in _HOLDS_NONE and jaxprs_in_value(v) for v in params.values())


def jaxprs_in_params(params: dict) -> list:
    """Every jaxpr the params hold, in the order ``param_jaxprs`` gives them."""
    return [sub for subs in param_jaxprs(params).values() for sub in subs]


def printed_apart(value: Any) -> bool:
    """Whether JAX's printer prints this param's jaxprs each on its own, with a naming
    context of its own (variables named from ``a`` again): it prints a jaxpr, or a plain
    tuple of them, in place, and anything else (a NamedTuple such as
    ``custom_linear_solve``'s ``jaxprs``) through ``str()`` (JAX issue #19719)."""
    if isinstance(value, JAXPR_TYPES):
        return False
    if type(value) is tuple and all(isinstance(v, JAXPR_TYPES) for v in value):
        return False
    return bool(jaxprs_in_value(value))


def replace_jaxprs(value: Any, rebuild: Callable[[Any], Any]) -> Any:
    """``value`` with each jaxpr (open or closed) replaced by ``rebuild(jaxpr)``, in the order
    ``jaxprs_in_value`` finds them; the container keeps its own type, and a value that holds
    no jaxpr is returned as it is (the same object)."""
    if isinstance(value, JAXPR_TYPES):
        return rebuild(value)
    if not jaxprs_in_value(value):
        return value

    def one(v):
        return rebuild(v) if isinstance(v, JAXPR_TYPES) else v
    if isinstance(value, dict):
        return type(value)((k, one(v)) for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return type(value)(*(one(v) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(one(v) for v in value)
    changes = {f.name: one(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    return dataclasses.replace(value, **changes)


def walk_equations(jaxpr, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(graph IR id, equation) for every equation, nested ones numbered as the graph numbers
    them: ``e3/g1/e0`` is the first equation of the second jaxpr equation 3 holds."""
    for k, eqn in enumerate(jaxpr.eqns):
        node_id = f"{prefix}e{k}"
        yield node_id, eqn
        for j, sub in enumerate(jaxprs_in_params(eqn.params)):
            yield from walk_equations(sub, f"{node_id}/g{j}/")
