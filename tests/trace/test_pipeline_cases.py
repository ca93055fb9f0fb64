"""Pipelines JAX traces must trace here too, every stage compared with jax.make_jaxpr itself:
keyword arguments under vmap, collectives under a named mapping, static names and positions."""

import functools

import jax
import jax.numpy as jnp
from jax import lax

from tests.trace.helpers import trace

SOURCE = """
def scaled(x, w):
    return jnp.sin(x) * w

def normalise(x):
    return x / lax.psum(x, 'i')

def repeat(x, n):
    for _ in range(n):
        x = jnp.sin(x)
    return x

def mlp(w1, w2, x):
    return jnp.tanh(jnp.tanh(x @ w1) @ w2).sum()
"""


# the same functions, for jax.make_jaxpr to trace directly (one source for both)
_NAMESPACE = {"jax": jax, "jnp": jnp, "lax": lax}
exec(SOURCE, _NAMESPACE)
scaled, normalise, repeat, mlp = (_NAMESPACE[n] for n in ("scaled", "normalise", "repeat", "mlp"))

def texts(function, args, pipeline):
    stages, error = trace(source=SOURCE, function=function, args=args, pipeline=pipeline)
    assert error is None, error
    return [s.jaxpr for s in stages]


def test_keyword_arguments_are_mapped_over_axis_0_as_jax_maps_them():
    xs, ws = jnp.ones((3, 4)), jnp.ones((3, 4))
    got = texts("scaled", "jnp.ones((3, 4)), w=jnp.ones((3, 4))", "vmap | jit")
    assert got == [str(jax.make_jaxpr(scaled)(xs[0], w=ws[0])),
                   str(jax.make_jaxpr(jax.vmap(scaled))(xs, w=ws)),
                   str(jax.make_jaxpr(jax.jit(jax.vmap(scaled)))(xs, w=ws))]


def test_collectives_trace_with_the_mapped_axis_bound():
    xs = jnp.ones((4, 3))
    got = texts("normalise", "jnp.ones((4, 3))", "vmap(axis_name='i') | jit")
    assert got == [str(jax.make_jaxpr(normalise, axis_env=[("i", 4)])(xs[0])),
                   str(jax.make_jaxpr(jax.vmap(normalise, axis_name="i"))(xs)),
                   str(jax.make_jaxpr(jax.jit(jax.vmap(normalise, axis_name="i")))(xs))]


def test_jit_static_argnames():
    x = jnp.ones(3)
    got = texts("repeat", "jnp.ones(3), n=2", "jit(static_argnames='n')")
    jitted = jax.jit(repeat, static_argnames="n")
    assert got == [str(jax.make_jaxpr(functools.partial(repeat, n=2))(x)),
                   str(jax.make_jaxpr(functools.partial(jitted, n=2))(x))]
    assert got[0].count("sin") == 2


def test_pmap_static_broadcasted_argnums():
    x = jnp.ones((4, 3))
    got = texts("repeat", "jnp.ones((4, 3)), 2", "pmap(static_broadcasted_argnums=1)")
    pmapped = jax.pmap(repeat, static_broadcasted_argnums=1)
    assert got == [str(jax.make_jaxpr(repeat, static_argnums=1)(x[0], 2)),
                   str(jax.make_jaxpr(pmapped, static_argnums=1)(x, 2))]


def test_checkpoint_policy_by_name():
    args = (jnp.ones((4, 4)), jnp.ones((4, 4)), jnp.ones((2, 4)))
    got = texts("mlp", "jnp.ones((4, 4)), jnp.ones((4, 4)), jnp.ones((2, 4))",
                "checkpoint(policy='dots_saveable') | grad")
    saved = jax.checkpoint(mlp, policy=jax.checkpoint_policies.dots_saveable)
    assert got == [str(jax.make_jaxpr(mlp)(*args)), str(jax.make_jaxpr(saved)(*args)),
                   str(jax.make_jaxpr(jax.grad(saved))(*args))]


NAMED = """
def named(x):
    h = checkpoint_name(jnp.sin(x), "h")
    return jnp.sum(jnp.cos(h) * h)
"""


def test_a_policy_factory_called_in_the_text_is_jaxs_policy():
    from jax.ad_checkpoint import checkpoint_name

    from jaxviz.trace.session import trace_source

    def named(x):
        h = checkpoint_name(jnp.sin(x), "h")
        return jnp.sum(jnp.cos(h) * h)

    source = "from jax.ad_checkpoint import checkpoint_name\n" + NAMED
    stages, error = trace_source(source, "<editor>", "named", "jnp.ones(4)",
                                 "checkpoint(policy=\"save_only_these_names('h')\") | grad")
    assert error is None, error
    policy = jax.checkpoint_policies.save_only_these_names("h")
    expected = jax.make_jaxpr(jax.grad(jax.checkpoint(named, policy=policy)))(jnp.ones(4))
    assert stages[-1].jaxpr == str(expected)


def test_a_policy_factory_given_by_name_alone_says_how_to_call_it():
    from jaxviz.trace.session import trace_source

    source = "from jax.ad_checkpoint import checkpoint_name\n" + NAMED
    stages, error = trace_source(source, "<editor>", "named", "jnp.ones(4)",
                                 "checkpoint(policy='save_only_these_names') | grad")
    assert error is not None and "save_only_these_names('layer_out')" in error.message


def test_the_apps_trace_shown_stage_first_gives_jaxs_stages():
    # the app traces the last stage first and the others after its first view: every
    # stage still as jax.make_jaxpr gives it, in the pipeline's order
    from jaxviz.trace.session import trace_last_first

    w1, w2, x = jnp.ones((4, 8)), jnp.ones((8, 2)), jnp.ones((3, 4))
    stages, error, finish = trace_last_first(SOURCE, "<editor>", "mlp",
                                             "jnp.ones((4, 8)), jnp.ones((8, 2)), "
                                             "jnp.ones((3, 4))", "grad | jit")
    assert error is None and finish() is None
    assert [s.jaxpr for s in stages] == [str(jax.make_jaxpr(mlp)(w1, w2, x)),
                                         str(jax.make_jaxpr(jax.grad(mlp))(w1, w2, x)),
                                         str(jax.make_jaxpr(jax.jit(jax.grad(mlp)))(w1, w2, x))]
