"""The batch axes of vmap stages against JAX itself: the stage is JAX's own
``make_jaxpr(vmap(f, in_axes, out_axes))``, its inputs and outputs carry the axes JAX was told,
and every variable the stage before stands for holds, at each batch index along the axis found,
the value the stage before computes on that example alone."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.extend.core import Literal

from jaxviz.core.diff.batch_axes import AMBIGUOUS, BATCHED, BROADCAST, UNBATCHED, batch_axes
from jaxviz.core.diff.batch_evidence import node_pairs
from jaxviz.core.examples import read_examples
from tests.data.vmap_cases import CASES, SOURCE
from tests.trace.helpers import trace

NS = {"jax": jax, "jnp": jnp, "lax": lax}
exec(SOURCE, NS)  # noqa: S102 - the functions the cases trace, as the worker runs them
vm = jax.vmap
# name: (the vmap stage as JAX makes it, the stage before), for each of CASES
BUILDERS = {
    "in_axes (None, 0)": (lambda f: vm(f, in_axes=(None, 0)), lambda f: f),
    "in_axes 1": (lambda f: vm(f, in_axes=1), lambda f: f),
    "out_axes 1": (lambda f: vm(f, in_axes=(None, 0), out_axes=1), lambda f: f),
    "nested": (
        lambda f: vm(vm(f, in_axes=(None, 0)), in_axes=(0, None)),
        lambda f: vm(f, in_axes=(None, 0)),
    ),
    "vmap of grad": (lambda f: vm(jax.grad(f), in_axes=(None, 0)), jax.grad),
    "scan": (vm, lambda f: f),
    "equal sizes": (lambda f: vm(f, in_axes=1), lambda f: f),
}


def _vmap_stages(function, pipeline, args, source=SOURCE):
    stages, error = trace(source=source, function=function, args=args, pipeline=pipeline)
    assert error is None, error
    return stages


def _evaluate(closed, args):
    """Every top-level variable's value (``read`` also reads literals)."""
    jaxpr = closed.jaxpr
    env = dict(zip(jaxpr.constvars, closed.consts))
    env.update(zip(jaxpr.invars, args))

    def read(atom):
        return atom.val if isinstance(atom, Literal) else env[atom]

    for eqn in jaxpr.eqns:
        with eqn.ctx.manager:  # as jax.core.eval_jaxpr binds it
            out = eqn.primitive.bind(
                *map(read, eqn.invars), **eqn.primitive.get_bind_params(eqn.params)
            )
        env.update(zip(eqn.outvars, out if eqn.primitive.multiple_results else [out]))
    return read


def _atoms(stage, closed):
    """Top-level node id → its jaxpr atom for results (id, port) and operands (id, position)."""
    jaxpr, results, operands = closed.jaxpr, {}, {}
    for k, v in enumerate(jaxpr.invars):
        results[(f"in{k}", 0)] = v
    for k, eqn in enumerate(jaxpr.eqns):
        results.update({(f"e{k}", p): v for p, v in enumerate(eqn.outvars)})
        operands.update({(f"e{k}", q): v for q, v in enumerate(eqn.invars)})
    operands.update({(f"out{k}", 0): v for k, v in enumerate(jaxpr.outvars)})
    return results, operands


def _holds(after_value, before_value, value, index: int) -> bool:
    """Whether the after value is the before value along the axis found, at this index."""
    a, b = np.asarray(after_value, np.float64), np.asarray(before_value, np.float64)
    if value.kind == UNBATCHED:
        options = [a]
    elif value.kind in (BATCHED, AMBIGUOUS, BROADCAST):
        options = [np.take(a, index if a.shape[axis] > 1 else 0, axis=axis) for axis in value.axes]
    else:
        return True  # unknown: nothing claimed
    # a batched value lined up with size-1 dimensions (f32[8,1] for a batched scalar)
    options = [o.reshape(b.shape) for o in options if o.size == b.size]
    return any(np.allclose(o, b, rtol=1e-4, atol=1e-5) for o in options)


def _slice(args, in_axes, b):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    return [a if ax is None else jnp.take(a, b, axis=ax) for a, ax in zip(args, axes)]


def check_values(before, after, before_fn, after_fn, args, in_axes) -> int:
    """Every paired top-level variable, at every batch index; returns how many were checked."""
    result = batch_axes(before, after)
    closed_after = jax.make_jaxpr(after_fn)(*args)
    assert str(closed_after) == after.jaxpr  # the stage is JAX's own vmap, equation for equation
    read_after = _evaluate(closed_after, jax.tree_util.tree_leaves(args))
    pairs, checked = node_pairs(before, after), 0
    after_results, after_operands = _atoms(after, closed_after)
    top = {(e.src, e.src_port): e for e in after.graph.edges}
    for b in range(result.size):
        sliced = _slice(args, in_axes, b)
        closed_before = jax.make_jaxpr(before_fn)(*sliced)
        read_before = _evaluate(closed_before, jax.tree_util.tree_leaves(sliced))
        before_results, before_operands = _atoms(before, closed_before)
        for (nid, port), value in result.values.items():
            ours = after_results.get((nid, port))
            theirs = before_results.get((pairs.get(nid, ""), port))
            edge = top.get((nid, port))
            if theirs is None and edge is not None:  # a consumer's partner stands for it
                theirs = before_operands.get((pairs.get(edge.dst, ""), edge.dst_port))
            if ours is None or theirs is None:
                continue
            assert _holds(read_after(ours), read_before(theirs), value, b), (nid, value, b)
            checked += 1
    return checked


@pytest.mark.parametrize("name", sorted(CASES))
def test_batch_axes_hold_values_and_declared_axes(name):
    function, pipeline, args_text, in_axes = CASES[name]
    after_of, before_of = BUILDERS[name]
    stages = _vmap_stages(function, pipeline, args_text)
    before, after = stages[-2], stages[-1]
    args = eval(f"[{args_text}]", NS)  # noqa: S307 - the test's own literal text
    fn = NS[function]
    assert check_values(before, after, before_of(fn), after_of(fn), args, in_axes) > 0
    result = batch_axes(before, after)
    ins = [n for n in after.graph.nodes if n.kind == "input"]
    declared = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(ins)
    for node, axis in zip(ins, declared):
        assert result.of(node.id).axis == axis, (node.id, result.of(node.id))
    out_axes = 1 if "out_axes=1" in pipeline else 0
    for node in (n for n in after.graph.nodes if n.kind == "output"):
        assert result.of(node.id).axis == out_axes


def test_the_declared_axes_are_real_shapes():
    """JAX's own jaxpr of vmap(f, in_axes=1): its inputs carry the batch at axis 1."""
    closed = jax.make_jaxpr(jax.vmap(NS["f"], in_axes=1))(jnp.ones((3, 8, 4)), jnp.ones((3, 8)))
    stages = _vmap_stages(*CASES["in_axes 1"][:1], "vmap(in_axes=1)", CASES["in_axes 1"][2])
    result = batch_axes(stages[0], stages[1])
    for k, var in enumerate(closed.jaxpr.invars):
        value = result.of(f"in{k}")
        assert var.aval.shape[value.axis] == 8
        assert tuple(np.delete(var.aval.shape, value.axis)) == tuple(
            stages[0].graph.nodes[k].outputs[0].shape
        )


@pytest.mark.parametrize(
    "example", [e for e in read_examples() if "vmap" in e.pipeline], ids=lambda e: e.title
)
def test_examples_hold_values(example):
    """The README's vmap examples, on random values of the same shapes (the examples stack
    one row 8 times: every axis would look right)."""
    stages = _vmap_stages(example.function, example.pipeline, example.args, example.source)
    k = next(i for i, s in enumerate(stages) if s.transform.startswith("vmap"))
    before, after = stages[k - 1], stages[k]
    ns = dict(NS)
    exec(example.source, ns)  # noqa: S102 - the example's own file
    shapes = [n.outputs[0].shape for n in after.graph.nodes if n.kind == "input"]
    keys = jax.random.split(jax.random.key(0), len(shapes))
    args = [jax.random.normal(key, tuple(shape)) for key, shape in zip(keys, shapes)]
    fn = ns[example.function]
    assert check_values(before, after, fn, jax.vmap(fn), args, 0) > 0


def test_every_case_has_its_jax_function():
    assert set(BUILDERS) == set(CASES)


# built-in examples under grad | vmap: a batch of their inputs (title, arguments, in_axes)
REAL = {
    "MLP loss under grad": ("params, f32[4,32,8], f32[4,32,2]", (None, 0, 0)),
    "12-block transformer under grad (2.5k equations)": ("make(12), f32[4,16,32]", (None, 0)),
}


@pytest.mark.parametrize("title", sorted(REAL))
def test_real_models_under_grad_then_vmap_hold_values(title):
    example = next(e for e in read_examples() if e.title == title)
    args_text, in_axes = REAL[title]
    pipeline = f"grad | vmap(in_axes={in_axes})"
    stages = _vmap_stages(example.function, pipeline, args_text, example.source)
    before, after = stages[-2], stages[-1]
    result = batch_axes(before, after)
    assert result.counts()["unknown"] == 0, result.counts()
    ns = dict(NS)
    exec(example.source, ns)  # noqa: S102 - the example's own file
    first = eval(args_text.split(",")[0], ns)  # noqa: S307 - the parameters, as the example makes them
    leaves, tree = jax.tree_util.tree_flatten(first)  # abstract parameters made real
    first = jax.tree_util.tree_unflatten(
        tree,
        [
            0.1 * jax.random.normal(jax.random.key(k), leaf.shape, leaf.dtype)
            if isinstance(leaf, jax.ShapeDtypeStruct)
            else leaf
            for k, leaf in enumerate(leaves)
        ],
    )
    shapes = [n.outputs[0].shape for n in after.graph.nodes if n.kind == "input"]
    batched = shapes[len(jax.tree_util.tree_leaves(first)) :]
    keys = jax.random.split(jax.random.key(0), len(batched))
    args = [first] + [jax.random.normal(k, tuple(s)) for k, s in zip(keys, batched)]
    grad = jax.grad(ns[example.function])
    checked = check_values(before, after, grad, jax.vmap(grad, in_axes=in_axes), args, in_axes)
    assert checked > len(result.values)  # every batch index of most variables
