"""Run it and see: a stage evaluated equation by equation gives JAX's own outputs, and the
first NaN or Inf is found where it was made, forward and backward, with its line."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxviz
from jaxviz.core.examples import read_examples
from jaxviz.trace.args import seeded
from jaxviz.trace.devices import InputError
from jaxviz.trace.session import prepare
from jaxviz.trace.values_stage import evaluate_stage

TRANSFORMER = Path(__file__).parents[2] / "resources" / "examples" / "11_transformer_grad.py"

TOLERANCE = dict(rtol=1e-5, atol=1e-5)  # op by op against one jit: XLA may fuse and reorder


def _jax_outputs(source, function, args, pipeline, stage=-1):
    """What ``jax.jit`` of the stage's function gives on the same (seeded) arguments."""
    prepared, error = prepare(source, "<editor>", function, args, pipeline)
    assert error is None, error
    plan = prepared.plans[stage]
    call_args, call_kwargs, _ = seeded(plan.args, plan.kwargs)
    fn = jax.jit(plan.fn, static_argnums=prepared.static)
    return jax.tree_util.tree_leaves(fn(*call_args, **call_kwargs))


def _examples() -> list:
    found = []
    for e in read_examples():
        if "fails" in e.title or "pmap" in e.title or "print" in e.title.lower():
            continue  # a trace that fails on purpose; pmap needs its devices; prints
        found.append(pytest.param(e, id=e.title[:40]))
    return found


@pytest.mark.parametrize("example", _examples())
def test_the_outputs_equal_jax_jit_of_the_stage_on_every_example(example):
    source = example.source.replace("| compile", "").replace("| lower", "")
    pipeline = example.pipeline.replace("| compile", "").replace("| lower", "").strip(" |")
    result = evaluate_stage(source, "<editor>", example.function, example.args, pipeline)
    expected = _jax_outputs(source, example.function, example.args, pipeline)
    assert len(result["arrays"]) == len(expected)
    for got, want in zip(result["arrays"], expected):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), **TOLERANCE)


def test_a_transformer_grad_through_the_api_equals_jax(tmp_path):
    """The API, as a notebook calls it, with the user's own arrays."""
    path = tmp_path / "transformer.py"
    path.write_text("import jax\nimport jax.numpy as jnp\n" + TRANSFORMER.read_text())
    namespace: dict = {"__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    fn = namespace["transformer"]
    (params, x), _, _ = seeded([namespace["make"](2), jax.ShapeDtypeStruct((16, 32),
                                                                            jnp.float32)], {})
    result = jaxviz.stages(fn, params, x, pipeline="grad").values()
    expected = jax.tree_util.tree_leaves(jax.jit(jax.grad(fn))(params, x))
    assert result["first_nonfinite"] is None and len(result["equations"]) > 100
    for got, want in zip(result["arrays"], expected):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), **TOLERANCE)


def _first(source, function, args, pipeline=""):
    found = evaluate_stage(source, "<editor>", function, args, pipeline)["first_nonfinite"]
    assert found is not None, "expected a NaN or Inf"
    return found


def test_a_log_of_zero_in_the_forward_pass():
    source = "def f(x):\n    h = jnp.tanh(x)\n    return jnp.sum(jnp.log(h))\n"
    found = _first(source, "f", "jnp.array([1.0, 0.0, 2.0])")
    assert found["line"] == 3 and found["words"].startswith("`log` of")
    assert "-inf" in found["words"]


def test_a_sqrt_at_zero_whose_gradient_is_inf():
    source = ("def f(x):\n    y = x * 2.0\n    r = jnp.sqrt(y)\n    return jnp.sum(r)\n")
    found = _first(source, "f", "jnp.array([0.0, 1.0])", "grad")
    assert found["line"] == 3 and "+inf" in found["words"] and "`div`" in found["words"]


DIVIDE_BY_NORM = """
@jax.custom_vjp
def norm(x):
    return jnp.sqrt(jnp.sum(x ** 2))

def norm_fwd(x):
    n = norm(x)
    return n, (x, n)

def norm_bwd(res, g):
    x, n = res
    return (g * x / n,)

norm.defvjp(norm_fwd, norm_bwd)

def loss(w, x):
    return norm(x @ w)
"""


def test_a_division_by_a_zero_norm_in_the_backward_pass():
    """The forward pass is finite (the norm of zeros is 0); the backward pass divides by it."""
    result = evaluate_stage(DIVIDE_BY_NORM, "<editor>", "loss",
                            "jnp.zeros((4, 4)), jnp.ones((2, 4))", "grad")
    found = result["first_nonfinite"]
    assert found["words"].startswith("in the backward pass of `norm")
    assert "`div`" in found["words"] and "NaN" in found["words"] and found["line"] == 17
    assert result["outputs"][0]["nan"] == 16  # what the gradient came out as


def test_a_nan_that_appears_only_in_iteration_7_of_a_scan():
    source = ("def f(x):\n    def body(c, i):\n        c = c - 1.0\n"
              "        return c, jnp.sqrt(c).sum()\n"
              "    c, ys = lax.scan(body, x, jnp.arange(10))\n    return ys.sum()\n")
    result = evaluate_stage(source, "<editor>", "f", "jnp.full(3, 7.5)")
    found = result["first_nonfinite"]
    assert (found["iteration"], found["line"]) == (7, 4) and "iteration 7" in found["words"]
    assert result["iterations"][found["node"]] == 10
    assert result["equations"][found["node"]][0]["nan"] == 9  # iterations 7, 8, 9 × 3
    rows = result["equations"][found["node"]][0]["per_iteration"]
    assert [r["i"] for r in rows] == list(range(10))
    assert [r["nonfinite"] for r in rows] == [0] * 7 + [3] * 3
    assert rows[0]["max"] == pytest.approx(np.sqrt(6.5))


def test_the_branch_that_ran_and_the_loop_iterations_are_recorded():
    source = ("def f(x):\n    y = lax.cond(x.sum() > 0, jnp.sin, jnp.cos, x)\n"
              "    return lax.while_loop(lambda v: v.sum() < 100.0, lambda v: v * 2.0 + 1.0,"
              " y).sum()\n")
    result = evaluate_stage(source, "<editor>", "f", "jnp.ones(3)")
    assert list(result["branches"].values()) == [[1]]  # the true branch: jnp.sin
    assert result["outputs"][0]["values"] == pytest.approx(
        [float(jax.jit(lambda x: jax.lax.while_loop(
            lambda v: v.sum() < 100.0, lambda v: v * 2.0 + 1.0, jnp.sin(x)).sum())(
            jnp.ones(3)))])


def test_abstract_arguments_get_seeded_values_and_it_is_said():
    source = "def f(x):\n    return jnp.tanh(x).sum()\n"
    first = evaluate_stage(source, "<editor>", "f", "f32[16,4]")
    again = evaluate_stage(source, "<editor>", "f", "f32[16,4]")
    assert first["seeded"] == ["argument 0: float32[16, 4]"]
    assert first["outputs"] == again["outputs"]  # seeded: the same values each time


def test_a_value_past_the_threshold_and_stopping_at_the_first_nonfinite():
    source = ("def f(x):\n    big = jnp.exp(x * 100.0)\n    bad = jnp.log(x - 1.0)\n"
              "    return big.sum() + bad.sum()\n")
    result = evaluate_stage(source, "<editor>", "f", "jnp.array([1.0, 2.0])", threshold=1e40,
                            stop_at_nonfinite=True)
    assert result["first_nonfinite"]["line"] == 2  # exp overflows to inf first
    assert result["stopped"] and result["outputs"] == []
    small = evaluate_stage(source, "<editor>", "f", "jnp.array([0.1, 0.2])", threshold=1e5)
    assert small["first_huge"]["line"] == 2 and small["first_nonfinite"]["line"] == 3


def _evaluated(source, function, args, pipeline=""):
    return evaluate_stage(source, "<editor>", function, args, pipeline)


def test_a_vmapped_while_loop_runs_until_every_lane_is_done_as_jax_does():
    source = ("def f(n, x):\n    return lax.while_loop(lambda s: s[0] < n, "
              "lambda s: (s[0] + 1, s[1] * 1.5), (0, x))[1]\n")
    result = _evaluated(source, "f", "jnp.array([1, 3, 5]), jnp.ones(3)", "vmap")
    want = _jax_outputs(source, "f", "jnp.array([1, 3, 5]), jnp.ones(3)", "vmap")
    np.testing.assert_allclose(np.asarray(result["arrays"][0]), np.asarray(want[0]))


def test_equal_branches_record_to_the_branch_that_ran():
    source = ("def f(i, x):\n    g = lambda v: jnp.sin(v)\n"
              "    return lax.switch(i, [g, jnp.cos, g], x)\n")
    result = _evaluated(source, "f", "2, jnp.ones(2)")
    (cond,) = result["branches"]
    assert result["branches"][cond] == [2]
    assert [k for k in result["equations"] if "/g" in k] == [f"{cond}/g2/e0"]


@pytest.mark.parametrize("source, args, words", [
    ("def f(x):\n    return jnp.log(x.astype(jnp.bfloat16) - 5)\n", "jnp.ones(3)",
     "`log` of bfloat16[3]"),
    ("def f(x):\n    return jax.checkpoint(lambda v: jnp.log(jnp.sin(v) - 2))(x)\n",
     "jnp.ones(3)", "`log` of float32[3]"),
    ("def f(x):\n    return x * jnp.nan\n", "jnp.ones(3)", "from the literal nan the program"),
    ("def f(x, y):\n    return x * y\n", "jnp.ones(3), jnp.array([1.0, jnp.nan, 2.0])",
     "it came in with the argument `y`"),
], ids=["bfloat16", "inside checkpoint", "a literal", "an argument"])
def test_where_a_nan_starts_is_found_however_it_comes(source, args, words):
    found = _evaluated(source, "f", args)["first_nonfinite"]
    assert found is not None and words in found["words"], found


def test_complex_results_are_plain_data():
    import json

    result = _evaluated("def f(x):\n    return jnp.exp(x * 1j)\n", "f", "jnp.ones(2)")
    json.dumps({k: v for k, v in result.items() if k != "arrays"})  # what the worker sends
    assert result["outputs"][0]["values"][0].startswith("(0.54")


def test_a_stage_that_is_not_there_is_said_plainly():
    from jaxviz.trace.devices import InputError

    with pytest.raises(InputError, match="no stage -5"):
        evaluate_stage("def f(x):\n    return x\n", "<editor>", "f", "1.0", "grad", stage=-5)


def test_two_stages_compared_numerically():
    source = "def f(x):\n    return jnp.tanh(jnp.exp(x) * 3.0).sum(axis=0)\n"
    result = evaluate_stage(source, "<editor>", "f", "f32[8,4]", "jit", stage=0, against=1)
    compared = result["compared"]
    assert compared["comparable"] and compared["against"] == "jit(f)"
    assert compared["outputs"][0]["max_abs"] <= 1e-6  # op by op against one XLA program
    grad = evaluate_stage(source.replace(".sum(axis=0)", ".sum()"), "<editor>", "f",
                          "f32[8,4]", "grad", stage=0, against=1)
    assert not grad["compared"]["comparable"]  # a scalar against a gradient


def test_the_first_all_zero_gradient_is_where_the_backward_pass_became_zero():
    """A dead ReLU layer: its forward result is all zeros, and the backward pass's first
    equation that makes zeros of something that was not (the cotangent times it) is named."""
    source = ("def loss(w, x):\n    h = jax.nn.relu(x @ w - 10.0)\n"
              "    return jnp.sum(h ** 2)\n")
    result = evaluate_stage(source, "<editor>", "loss", "f32[4,4], f32[2,4]", "grad")
    found = result["first_all_zero"]
    assert found["primitive"] == "mul" and found["line"] == 3
    assert found["words"].startswith("in the backward pass") and "gave all zeros" in found["words"]
    assert result["all_zero_outputs"] == [0] and result["first_nonfinite"] is None
    healthy = evaluate_stage(source.replace(" - 10.0", ""), "<editor>", "loss",
                             "f32[4,4], f32[2,4]", "grad")
    assert healthy["first_all_zero"] is None


def test_every_paired_equation_is_compared_with_its_partner():
    """f against jit(f), and f against the forward part of grad(f): the diff pairs each
    equation with the one that computes the same thing, so each difference is 0 (an equation
    paired with the wrong one would differ)."""
    source = ("def f(x):\n    h = jnp.tanh(jnp.exp(x) * 3.0)\n"
              "    return jnp.log(jnp.sum(h * h) + 1.0)\n")
    for pipeline, paired_at_least in (("jit", 7), ("grad", 5)):
        result = evaluate_stage(source, "<editor>", "f", "f32[8,4]", pipeline, stage=0,
                                against=1)["compared"]
        assert len(result["equations"]) == result["paired"] >= paired_at_least
        assert all(row["max_abs"] == 0.0 for row in result["equations"].values())


def test_the_largest_differences_of_two_runs():
    from jaxviz.trace.values_compare import Comparer, differences

    assert differences([1.0, 2.0, np.nan], [1.0, 2.5, np.nan]) == \
        {"max_abs": 0.5, "max_rel": 0.2}  # a NaN on both sides agrees
    comparer = Comparer({"e1": "e4"}, {"e4": [np.array([1.0, 4.0])]})
    comparer("e1", [np.array([1.0, 5.0])])
    comparer("e2", [np.array([0.0])])  # not paired: not compared
    assert comparer.found == {"e1": {"partner": "e4", "max_abs": 1.0, "max_rel": 0.25}}


def test_against_a_compile_stage_is_against_xla_and_nonsense_is_said():
    source = "def f(x):\n    return jnp.tanh(jnp.exp(x) * 3.0).sum(axis=0)\n"
    compiled = evaluate_stage(source, "<editor>", "f", "f32[8,4]", "jit | compile", stage=1,
                              against=2)["compared"]
    assert compiled["against"] == "jit(f) as one XLA program"
    with pytest.raises(InputError, match="no stage 9 to compare with"):
        evaluate_stage(source, "<editor>", "f", "f32[8,4]", "jit | compile", against=9)
    with pytest.raises(InputError, match="no stage 7 to evaluate"):
        evaluate_stage(source, "<editor>", "f", "f32[8,4]", "jit | compile", stage=7)
    with pytest.raises(InputError, match="against itself"):
        evaluate_stage(source, "<editor>", "f", "f32[8,4]", "jit", stage=1, against=-1)


def test_outputs_holding_prng_keys_are_compared_by_their_key_data():
    source = "def f(x):\n    k = jax.random.key(0)\n    return jax.random.split(k), x * 2.0\n"
    result = evaluate_stage(source, "<editor>", "f", "jnp.ones(3)", "jit", stage=1,
                            against=0)["compared"]
    assert result["comparable"] and [r["max_abs"] for r in result["outputs"]] == [0.0, 0.0]


def test_the_stage_against_xla_running_it_as_one_program():
    source = "def f(x):\n    return jnp.tanh(jnp.exp(x) * 3.0).sum(axis=0)\n"
    result = evaluate_stage(source, "<editor>", "f", "f32[8,4]", "", against="xla")
    compared = result["compared"]
    assert compared["comparable"] and compared["against"] == "f as one XLA program"
    assert compared["outputs"][0]["max_rel"] <= 1e-5


def test_a_loops_statistics_are_of_every_value_of_every_iteration():
    source = ("def f(x):\n    def body(c, i):\n        y = c * i\n        return c, y\n"
              "    return lax.scan(body, x, jnp.arange(10.0))[1]\n")
    result = evaluate_stage(source, "<editor>", "f", "jnp.array([1.0, 2.0])")
    every = np.outer(np.arange(10.0), [1.0, 2.0])  # y of each iteration, all together
    (mul,) = [k for k, v in result["names"].items() if v.endswith("= mul")]
    stats = result["equations"][mul][0]
    assert stats["iterations"] == 10 and stats["zeros"] == 2
    assert (stats["min"], stats["max"]) == (0.0, 18.0)
    assert stats["mean"] == pytest.approx(every.mean()) and \
        stats["std"] == pytest.approx(every.std())
