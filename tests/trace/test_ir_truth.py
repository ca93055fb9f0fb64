"""The graph agrees with JAX: direction into nested jaxprs, node → text line through nesting
and shared jaxprs, iterations only where the source loops, scope names verbatim, counts."""

import pytest

from jaxviz.core.diff.stages import diff_stages
from jaxviz.core.ir.graph import transforms_of
from jaxviz.core.model.graph_model import GraphModel
from jaxviz.core.model.styles import BACKWARD, provenance
from tests.data import samples as s
from tests.trace.helpers import trace

NESTED = """
@jax.jit
def g(x):
    y = jnp.sin(x)
    return y * 2

def f(x):
    a = g(x)
    b = g(a)
    return jax.jit(lambda z: jnp.cos(z) + 1)(b)
"""

SCOPED = """
def f(x):
    with jax.named_scope("a/b"):
        with jax.named_scope('<script>alert("x")</script>'):
            y = jnp.sin(x)
    return jax.checkpoint(lambda z: jnp.cos(z) * y)(x)
"""

SWITCH = """
def f(i, x):
    return lax.switch(i, [jnp.sin, jnp.cos, lambda v: v * 2.0, jnp.tanh], x)
"""


def _equations(stage):
    return [n for n in stage.graph.walk_nodes() if n.kind == "eqn"]


def _misplaced(stage) -> list[str]:
    """Equations whose text line does not print them: their primitive and first result."""
    lines = stage.jaxpr.splitlines()
    bad = []
    for node in _equations(stage):
        line = " ".join(lines[node.text_line].split()) if node.text_line is not None else ""
        named = [p.name for p in node.outputs if p.name != "_"]
        if f"= {node.primitive}" not in line or (named and f"{named[0]}:" not in line):
            bad.append(f"{node.id} {node.primitive} → {line!r}")
    return bad


CASES = [(x.name, x.source, x.function, x.args, x.pipeline) for x in s.ALL] + [
    ("nested jit", NESTED, "f", "1.0", "grad | jit"),
    ("scoped remat", SCOPED, "f", "1.0", "grad | jit"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_node_links_to_the_line_that_prints_it(case):
    _, source, function, args, pipeline = case
    stages, error = trace(source=source, function=function, args=args, pipeline=pipeline)
    assert error is None, error
    for stage in stages:
        assert _misplaced(stage) == [], stage.title


def test_backward_direction_is_inherited_into_nested_jaxprs():
    stages, _ = trace(source=SCOPED, function="f", args="1.0", pipeline="grad")
    remat = next(n for n in _equations(stages[1]) if n.primitive == "remat2")
    inside = [n for g in remat.subgraphs for n in g.walk_nodes() if n.kind == "eqn"]
    assert inside and all(provenance(transforms_of(n)) == BACKWARD for n in inside)
    assert all(n.name_stack in ("", "rematted_computation") for n in inside)  # JAX's own


def test_checkpoint_then_grad_counts_its_backward_pass():
    stages, _ = trace(s.REMAT, pipeline="checkpoint | grad")
    summary = diff_stages(stages[1], stages[2]).summary
    assert "0 in the backward" not in summary and "in the backward (transpose) pass" in summary


def test_scope_names_are_kept_verbatim():
    stages, _ = trace(source=SCOPED, function="f", args="1.0", pipeline="")
    sin = next(n for n in _equations(stages[0]) if n.primitive == "sin")
    assert sin.scopes == ["a/b", '<script>alert("x")</script>']
    labels = {g.label for g in GraphModel(stages[0].graph).groups.values()}
    assert '<script>alert("x")</script>' in labels and "a/b" in labels


def test_switch_under_vmap_has_no_iterations():
    stages, error = trace(source=SWITCH, function="f", args="jnp.array([0, 1, 2, 3]), "
                          "jnp.ones((4, 3))", pipeline="vmap")
    assert error is None, error
    labels = [g.label for g in GraphModel(stages[1].graph, expand_all=True).groups.values()]
    assert not any(label.startswith("iteration") for label in labels), labels


def test_a_real_loop_still_has_iterations():
    source = "def f(x):\n    for _ in range(4):\n        x = jnp.sin(x) * 2.0 + 1.0\n    return x\n"
    stages, _ = trace(source=source, function="f", args="1.0", pipeline="")
    labels = [g.label for g in GraphModel(stages[0].graph, expand_all=True).groups.values()]
    assert sum(label.startswith("iteration ") and label[10].isdigit() for label in labels) == 4
    assert "iteration ×4" in labels  # and they fold: the same structure four times


def test_title_says_how_many_equations_jax_prints():
    stages, _ = trace(source=NESTED, function="f", args="1.0", pipeline="grad")
    assert stages[1].equations == 21 and stages[1].printed_equations == 16
    assert stages[1].count_text() == "21 equations, 16 printed"
    assert stages[1].jaxpr.count(" = ") - stages[1].jaxpr.count("let ") == 16


DEAD = """
def f(x):
    unused = jnp.sin(x) * 2.0
    y, _ = jnp.cos(x), jnp.tanh(x)
    jax.debug.print("{}", x)  # an effect: kept although nothing uses it
    return y + 1.0
"""


def test_unused_equations_are_those_jit_drops():
    import jax
    from jax._src.interpreters import partial_eval as pe

    stages, error = trace(source=DEAD, function="f", args="jnp.ones(3)", pipeline="")
    assert error is None, error
    unused = [n.primitive for n in _equations(stages[0]) if n.unused]
    assert sorted(unused) == ["mul", "sin", "tanh"]
    namespace = {"jax": jax, "jnp": jax.numpy}
    exec(DEAD, namespace)
    closed = jax.make_jaxpr(namespace["f"])(jax.numpy.ones(3))
    kept, _ = pe.dce_jaxpr(closed.jaxpr, [True] * len(closed.jaxpr.outvars))
    assert len(kept.eqns) == len(_equations(stages[0])) - len(unused)
