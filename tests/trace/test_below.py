"""Lowered and compiled stages, traced for real: the fusion map XLA makes on the CPU, costs
against ``cost_analysis``, memory against ``memory_analysis``, residuals against JAX's
``saved_residuals``."""

from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

from jaxviz.core.pipeline_spec import PipelineError, parse_pipeline
from jaxviz.core.xla import below
from jaxviz.core.xla.fusion_map import FUSED, UNMAPPED
from jaxviz.core.xla.hlo_text import parse_module
from jaxviz.trace.compiled import _lower, tag_jaxpr
from jaxviz.trace.session import trace_source

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"

CHAIN = """
def f(x):
    y = jnp.sin(x) * 2.0 + 1.0
    return jnp.exp(y) - x
"""

MLP3 = """
def loss(params, x):
    for w, b in params:
        x = jnp.tanh(x @ w + b)
    return jnp.mean(x ** 2)

def loss_checkpointed(params, x):
    for w, b in params:
        x = jax.checkpoint(lambda x, w, b: jnp.tanh(x @ w + b))(x, w, b)
    return jnp.mean(x ** 2)

params = [(jnp.ones((16, 32)), jnp.zeros(32)), (jnp.ones((32, 32)), jnp.zeros(32)),
          (jnp.ones((32, 8)), jnp.zeros(8))]
"""


def traced(source, function, args, pipeline):
    stages, error = trace_source(source, "<editor>", function, args, pipeline)
    assert error is None, error
    return stages


def example(name):
    return (EXAMPLES / name).read_text()


def test_an_elementwise_chain_is_one_loop_fusion():
    stages = traced(CHAIN, "f", "f32[64]", "jit | compile")
    compiled = below.compiled_of(stages)
    assert compiled.dialect == "hlo" and compiled.title == "compile(jit(f))"
    places = below.placements(compiled)
    inner = {k: p for k, p in places.items() if k.startswith("e0/g0/")}
    assert len(inner) == 5  # sin, mul, add, exp, sub
    assert {p.status for p in inner.values()} == {FUSED}
    assert len({p.kernel for p in inner.values()}) == 1
    assert {p.kernel_kind for p in inner.values()} == {"kLoop"}
    fusion = next(n for n in compiled.graph.nodes if n.primitive == "fusion")
    assert fusion.subgraphs and "kLoop" in fusion.params_short
    assert "jaxviz_eqn" not in compiled.jaxpr and compiled.jaxpr.startswith("HloModule")


@pytest.mark.parametrize("name, args", [
    ("07_mlp_grad.py", "params, f32[32,8], f32[32,2]"),
    ("11_transformer_grad.py", "make(2), f32[16,32]"),
    ("08_scan.py", "jnp.linspace(0.0, 1.0, 16)"),
])
def test_the_fusion_map_covers_every_equation(name, args):
    meta_function = {"07_mlp_grad.py": "loss", "11_transformer_grad.py": "transformer",
                     "08_scan.py": "ema_loss"}[name]
    stages = traced(example(name), meta_function, args, "grad | jit | compile")
    source, compiled = below.analysed_of(stages), below.compiled_of(stages)
    equations = [n.id for n in source.graph.walk_nodes() if n.kind == "eqn"]
    places = below.placements(compiled)
    assert sorted(places) == sorted(equations)
    assert not [k for k, p in places.items() if p.status == UNMAPPED]
    assert compiled.reference["map_via"] == "tag"


def test_tags_do_not_change_what_xla_makes():
    source = example("11_transformer_grad.py")
    namespace = {"jax": jax, "jnp": jnp}
    exec(compile(source, "t.py", "exec"), namespace)
    closed = jax.make_jaxpr(jax.jit(jax.grad(namespace["transformer"])))(
        namespace["make"](2), jnp.ones((16, 32)))

    def opcodes(c):
        module = parse_module(_lower(c).compile().as_text())
        return sorted(tuple(i.opcode for i in comp.instructions)
                      for comp in module.computations.values())
    assert opcodes(tag_jaxpr(closed)) == opcodes(closed)


@pytest.mark.parametrize("source, function, args, pipeline", [
    (CHAIN, "f", "f32[64]", "jit | compile"),
    (MLP3, "loss", "params, f32[4,16]", "grad | jit | compile"),
    ("EXAMPLE:11_transformer_grad.py", "transformer", "make(2), f32[16,32]",
     "grad | jit | compile"),
])
def test_summed_costs_agree_with_cost_analysis(source, function, args, pipeline):
    if source.startswith("EXAMPLE:"):
        source = example(source.split(":")[1])
    stages = traced(source, function, args, pipeline)
    report = below.cost_report(below.analysed_of(stages), below.compiled_of(stages))
    ours, xla = report["ours_kept"], report["xla"]
    assert ours["flops"] == pytest.approx(xla["flops"], rel=0.05)
    assert ours["transcendentals"] == pytest.approx(xla["transcendentals"], rel=0.05)
    assert report["rules"].get("roofline", 0) > 0  # JAX's rules where it has them


def test_memory_counts_the_arguments_as_xla_does():
    stages = traced(MLP3, "loss", "params, f32[4,16]", "grad | jit | compile")
    report = below.memory_report(below.analysed_of(stages), below.compiled_of(stages))
    xla = report["xla"]
    assert report["resident_bytes"] == xla["argument_size_in_bytes"]
    assert report["peak_bytes"] >= xla["argument_size_in_bytes"] + xla["output_size_in_bytes"]
    assert report["peak_at"].startswith("e0/g0/")  # inside jit's body, where the program runs
    assert report["largest_at_peak"][0]["bytes"] == 32 * 32 * 4


@pytest.mark.parametrize("function, count", [("loss", 10), ("loss_checkpointed", 10)])
def test_residuals_agree_with_jax(function, count):
    stages = traced(MLP3, function, "params, f32[4,16]", "grad | lower")
    grad_stage = stages[1]
    report = below.residual_report(grad_stage)
    assert report["comparison"]["agree"], report["comparison"]
    assert len(report["residuals"]) == count


def test_checkpoint_saves_inputs_instead_of_activations():
    plain = below.residual_report(traced(MLP3, "loss", "params, f32[4,16]", "grad | lower")[1])
    saved = below.residual_report(traced(MLP3, "loss_checkpointed", "params, f32[4,16]",
                                         "grad | lower")[1])
    made = sorted(r["made_by"] for r in plain["residuals"])
    made_ck = sorted(r["made_by"] for r in saved["residuals"])
    assert made.count("sub") == 3 and "sub" not in made_ck  # no 1 - tanh² kept
    assert made_ck.count("input") > made.count("input")  # the biases, to recompute
    policy = below.residual_report(traced(
        MLP3.replace("jax.checkpoint(", "jax.checkpoint(policy=jax.checkpoint_policies."
                     "dots_saveable, fun="), "loss_checkpointed", "params, f32[4,16]",
        "grad | lower")[1])
    assert policy["comparison"]["agree"]
    # the policy keeps each layer's matmul result (what x @ w gives) on top of the inputs
    assert len(policy["residuals"]) > len(saved["residuals"])


def test_the_lowered_stage_is_stablehlo_and_its_graph_hlo():
    stages = traced(CHAIN, "f", "f32[64]", "jit | lower | compile")
    lowered = stages[2]
    assert lowered.dialect == "stablehlo" and lowered.jaxpr.startswith("module @")
    assert "jaxviz_eqn" not in lowered.jaxpr and "stablehlo.sine" in lowered.jaxpr
    assert {n.primitive for n in lowered.graph.walk_nodes()} >= {"sine", "exponential"}
    assert stages[3].dialect == "hlo"


@pytest.mark.parametrize("pipeline, words", [
    ("compile | grad", "must come after every transform"),
    ("grad | compile | lower", "lower first"),
    ("jit | compile(x=1)", "takes no options"),
])
def test_misplaced_steps_say_where_they_go(pipeline, words):
    with pytest.raises(PipelineError, match=words):
        parse_pipeline(pipeline)


def test_an_xla_error_keeps_the_jaxpr_stages():
    stages, error = trace_source("def f(x):\n    return jax.pure_callback(lambda v: v, "
                                 "jax.ShapeDtypeStruct((2,), jnp.float32), x)\n", "<editor>",
                                 "f", "f32[2]", "jit | compile")
    assert len(stages) >= 2 or error is not None


def test_reports_name_each_equation_as_the_jaxpr_text_does():
    """One name everywhere: ``t = broadcast_in_dim`` in the fusion, cost and memory reports
    is the equation the stage's text prints as ``t:f32[...] = broadcast_in_dim``."""
    path = Path(__file__).parents[2] / "resources" / "examples" / "17_below_the_jaxpr.py"
    stages, error = trace_source(path.read_text(), str(path), "loss",
                                 "params, f32[64,32], f32[64,8]", "grad | jit | compile")
    assert error is None
    source, compiled = stages[-2], stages[-1]
    text = " ".join(source.jaxpr.split())
    fusions = below.fusion_report(source, compiled)
    names = [eq["name"] for eq in fusions["equations"].values()]
    names += [row["name"] for row in below.cost_report(source, compiled)["top"]]
    assert names and not any("e0/" in n for n in names)
    for name in names:
        results, primitive = name.split(" = ")
        assert f"{results.split()[-1]}:" in text and f"= {primitive}" in text, name
    cost = below.cost_text(below.cost_report(source, compiled))
    memory = below.memory_text(below.memory_report(source, compiled))
    report = "\n".join(below.fusion_text(fusions) + cost + memory)
    assert "e0/g0/" not in report


def test_the_compiled_stages_inputs_have_the_jit_stages_names():
    from jaxviz.trace.session import trace_source

    source = ("def loss(params, x):\n    for w, b in params:\n"
              "        x = jnp.tanh(x @ w + b)\n    return jnp.mean(x ** 2)\n")
    stages, error = trace_source(source, "<editor>", "loss", "[(f32[4,4], f32[4])] * 2, f32[2,4]",
                                 "jit | lower | compile")
    assert error is None, error
    names = [[n.display_name for n in s.graph.nodes if n.kind == "input"] for s in stages]
    assert names[-1] == names[-2] == names[1] == \
        ["params[0][0]", "params[0][1]", "params[1][0]", "params[1][1]", "x"]


SHARDED = """
from jax.sharding import NamedSharding, PartitionSpec as P

mesh = jax.make_mesh((4,), ("data",))
g = jax.jit(lambda x, w: jnp.tanh(x @ w),
            in_shardings=(NamedSharding(mesh, P("data")), NamedSharding(mesh, P())))


def step(x, w):
    return g(x, w)
"""


def test_a_partitioned_program_s_cost_is_set_against_one_devices_share():
    """XLA's cost_analysis of a program split over 4 devices counts one device's share; the
    report says so and sets our total divided by 4 beside it, instead of a 4× mismatch."""
    from jaxviz.core.xla import below
    from jaxviz.trace.session import trace_source

    stages, error = trace_source(SHARDED, "<editor>", "step", "f32[64,32], f32[32,16]",
                                 "jit | compile")
    assert error is None, error
    report = below.cost_report(below.analysed_of(stages), below.compiled_of(stages))
    assert report["partitions"] == 4
    assert report["ours"]["flops"] / 4 == pytest.approx(report["xla"]["flops"])
    text = "\n".join(below.cost_text(report))
    assert "ours ÷ 4 devices" in text and "one device's share" in text
