"""Inputs a user gives: pytrees, keyword arguments, PRNG keys, shorthands, unicode names."""

import jax
import jax.numpy as jnp

from jaxviz.trace.pipeline import unmap_arguments
from tests.data import samples as s
from tests.trace.helpers import stage_functions, trace


def outputs(stage):
    return [n.outputs[0].type for n in stage.graph.nodes if n.kind == "output"]


def inputs(stage):
    return [n.outputs[0].type for n in stage.graph.nodes if n.kind == "input"]


def test_pytrees_in_and_out():
    source = "def f(p, x):\n    return {'y': p['w'] @ x, 'z': (x.sum(), p['b'])}\n"
    stages, error = trace(source=source, function="f",
                          args="dict(w=jnp.ones((2, 3)), b=jnp.zeros(2)), jnp.ones(3)",
                          pipeline="")
    assert error is None
    assert sorted(inputs(stages[0])) == ["f32[2,3]", "f32[2]", "f32[3]"]
    assert sorted(outputs(stages[0])) == ["f32[2]", "f32[2]", "f32[]"]


def test_params_pytree_from_the_module_under_grad():
    stages, error = trace(s.MLP)
    assert error is None
    assert len(inputs(stages[1])) == 6  # 2 layers × (w, b), x, y
    assert sorted(outputs(stages[1])) == sorted(["f32[4,8]", "f32[8]", "f32[8,2]", "f32[2]"])


def test_keyword_arguments():
    source = "def f(x, scale=1.0):\n    return x * scale\n"
    stages, error = trace(source=source, function="f", args="jnp.ones(2), scale=3.0",
                          pipeline="jit")
    assert error is None
    assert len(inputs(stages[0])) == 2


def test_typed_prng_keys():
    source = ("def f(key):\n    k1, k2 = jax.random.split(key)\n"
              "    return jax.random.normal(k2, (3,))\n")
    stages, error = trace(source=source, function="f", args="jax.random.key(0)", pipeline="jit")
    assert error is None
    assert inputs(stages[0]) == ["key<fry>[]"]
    prims = {n.primitive for n in stages[0].graph.walk_nodes()}
    assert "random_split" in prims


def test_shorthand_traces_abstractly_without_allocating():
    source = "def f(a, b, n):\n    return (a @ b).astype(jnp.bfloat16).sum() + n\n"
    stages, error = trace(source=source, function="f",
                          args="f32[100000,50000], f32[50000,8], i32[]", pipeline="")
    assert error is None  # 20 GB if allocated
    assert inputs(stages[0]) == ["f32[100000,50000]", "f32[50000,8]", "i32[]"]


def test_function_with_no_equations():
    stages, error = trace(source="def f(x):\n    return x\n", function="f", args="1.0",
                          pipeline="")
    assert error is None
    assert stages[0].equations == 0
    assert [n.kind for n in stages[0].graph.nodes] == ["input", "output"]
    assert len(stages[0].graph.edges) == 1


def test_unicode_identifiers():
    source = "def énergie(θ):\n    λ = 2.0\n    return λ * θ ** 2\n"
    stages, error = trace(source=source, function="énergie", args="3.0", pipeline="grad")
    assert error is None
    assert [st.title for st in stages] == ["énergie", "grad(énergie)"]


def test_earlier_stages_see_unmapped_arguments():
    sample = s.Sample("m", "def f(w, x):\n    return (w * x).sum()\n", "f",
                      "jnp.ones(3), jnp.ones((8, 3))", "grad | vmap(in_axes=(None, 0)) | jit")
    plans = stage_functions(sample)
    assert [tuple(a.shape for a in p.args) for p in plans] == [
        ((3,), (3,)), ((3,), (3,)), ((3,), (8, 3)), ((3,), (8, 3))]
    stages, error = trace(sample)
    assert error is None and outputs(stages[-1]) == ["f32[8,3]"]  # per-example grads


def test_unmap_follows_pytree_in_axes():
    args = [{"a": jnp.ones((4, 2)), "b": jnp.ones(3)}]
    (out,) = unmap_arguments(args, ({"a": 0, "b": None},))
    assert out["a"].shape == (2,) and out["b"].shape == (3,)
    (sds,) = unmap_arguments([jax.ShapeDtypeStruct((5, 7), jnp.float32)], 1)
    assert sds.shape == (5,)


def test_jit_static_argnums_traces_python_values():
    source = "def f(x, n):\n    for _ in range(n):\n        x = jnp.sin(x)\n    return x\n"
    stages, error = trace(source=source, function="f", args="1.0, 3",
                          pipeline="jit(static_argnums=1)")
    assert error is None
    assert stages[0].equations == 3
