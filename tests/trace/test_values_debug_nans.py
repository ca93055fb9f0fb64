"""The first NaN or Inf is the equation JAX's own ``jax_debug_nans`` (``jax_debug_infs`` for
an Inf) stop at, on cases written for this test, not the ones the finder was tuned on.

``jax_debug_nans`` re-runs a jitted function op by op and raises at the first primitive that
made a NaN, naming it and (in its traceback) the user's line. Two honest differences, both
asserted: inside a ``scan`` it stops at the ``scan`` (ours goes on into the body, so JAX's
equation is one of those ours runs ``within``); and a ``custom_vjp`` backward rule, which it
runs eagerly, is named at the rule's own line, where JAX's jaxpr (and so ours) gives the
rule's equations the line that called the function (ours then names the rule too).
"""

import traceback

import jax
import pytest

from jaxviz.trace.args import seeded
from jaxviz.trace.session import prepare
from jaxviz.trace.values_stage import evaluate_stage

FILE = "<cases>"

CASES = {
    "log of zero, forward": (
        "def f(x):\n    y = jnp.abs(x) - 1.0\n    z = jnp.log(y)\n    return jnp.sum(z)\n",
        "f", "jnp.array([2.0, 1.0, 3.0])", ""),
    "sqrt at zero, its gradient": (
        "def f(w, x):\n    d = x - w\n    n = jnp.sqrt(jnp.sum(d * d))\n    return n\n",
        "f", "jnp.ones(3), jnp.ones(3)", "grad"),
    "arcsin out of range, forward": (
        "def f(x):\n    a = jnp.arcsin(x * 3.0)\n    return a.sum()\n",
        "f", "jnp.array([0.1, 0.5])", ""),
    "zero over zero, backward of a division": (
        "def f(x):\n    s = jnp.sum(x)\n    return jnp.sum(x / s)\n",
        "f", "jnp.zeros(4)", "grad"),
    "a NaN in iteration 4 of a scan": (
        "def f(x):\n    def body(c, _):\n        c = c - 0.5\n"
        "        return c, jnp.log(c)\n"
        "    _, ys = lax.scan(body, x, None, length=8)\n    return ys.sum()\n",
        "f", "jnp.full(2, 1.75)", ""),
}


def _jax_stops_at(source, function, args, pipeline) -> tuple[str, list[int]]:
    """The primitive JAX's debug flags name, and the lines of the user's code it raises in."""
    prepared, error = prepare(source, FILE, function, args, pipeline)
    assert error is None, error
    plan = prepared.plans[-1]
    call_args, call_kwargs, _ = seeded(plan.args, plan.kwargs)
    with jax.debug_nans(True), jax.debug_infs(True):
        try:
            jax.jit(plan.fn)(*call_args, **call_kwargs)
        except FloatingPointError as exc:
            primitive = str(exc).splitlines()[0].rsplit(" ", 1)[-1]
            lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
                     if f.filename == FILE]
            return primitive, lines
    raise AssertionError("jax_debug_nans raised nothing")


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_the_first_nonfinite_is_the_equation_jax_debug_nans_names(case):
    source, function, args, pipeline = CASES[case]
    found = evaluate_stage(source, FILE, function, args, pipeline)["first_nonfinite"]
    assert found is not None
    primitive, lines = _jax_stops_at(source, function, args, pipeline)
    candidates = [(found["primitive"], found["line"])] + \
        [(w["primitive"], w["line"]) for w in found["within"]]
    assert (primitive, lines[-1]) in candidates, (found, primitive, lines)


LENGTH = """
@jax.custom_vjp
def length(v):
    return jnp.sqrt(jnp.sum(v * v))

def length_fwd(v):
    n = length(v)
    return n, (v, n)

def length_bwd(res, g):
    v, n = res
    return (g * v / n,)

length.defvjp(length_fwd, length_bwd)

def loss(x):
    return length(x - x.mean())
"""


def test_in_a_custom_vjp_rule_the_same_primitive_at_the_call_of_the_rule():
    """The forward pass is finite (a length of 0); the rule divides by it. JAX's jaxpr gives
    the rule's equations the line that called ``length`` (17), debug_nans the rule's (12)."""
    found = evaluate_stage(LENGTH, FILE, "loss", "jnp.ones(3)", "grad")["first_nonfinite"]
    primitive, lines = _jax_stops_at(LENGTH, "loss", "jnp.ones(3)", "grad")
    assert found["primitive"] == primitive == "div"
    assert (found["line"], lines[-1]) == (17, 12), (found, lines)
    assert found["rule"] == {"name": "length_bwd", "line": 10}  # and the rule, ours names
    assert found["words"].endswith("in the rule `length_bwd` (line 10)")
    assert "transpose" not in found["words"] and "the call at line 17" in found["words"]
