"""The primitive corpus against JAX and XLA: every ``jax.lax`` primitive a CPU build traces,
and the structured ones, under ``jit`` and ``grad | jit``. For each program the graph holds
the equations ``jax.extend.core.jaxprs_in_params`` finds, nesting by nesting; every node is
on its line of JAX's text; ``| compile`` works wherever plain JAX compiles; every equation is
placed in a kernel or given a reason (the whole table: ``benchmarks/primitive_corpus.py``)."""

import pytest

from jaxviz.trace.session import trace_source
from tests.data.primitives import PROGRAMS, pipelines
from tests.trace.corpus import check

CASES = [(p, pipeline) for p in PROGRAMS for pipeline in pipelines(p)]


@pytest.mark.parametrize(("program", "pipeline"), CASES,
                         ids=[f"{p.name}-{pl}" for p, pl in CASES])
def test_the_program_agrees_with_jax_and_xla(program, pipeline):
    result = check(program, pipeline)
    assert not result.error, result.error
    assert not result.nesting_differs, result.nesting_differs[:5]
    assert result.equations == result.jax_equations
    assert not result.unlinked, result.unlinked[:5]
    assert result.compiled == result.plain_compiles
    assert not result.unmapped, result.unmapped[:5]


def _program(name):
    return next(p for p in PROGRAMS if p.name == name)


def test_a_linear_solve_draws_the_jaxprs_of_its_named_tuple():
    result = check(_program("solve (custom_linear_solve)"), "grad | jit")
    assert result.equations == result.jax_equations > 100


def test_convolution_compiles_and_maps_by_tags():
    result = check(_program("conv"), "jit")
    assert result.compiled and result.map_via == "tag" and not result.unmapped


def test_indexing_maps_by_tags():
    source = "def f(x, i):\n    return x[i].sum() + x.at[i].add(1.0).sum()\n"
    stages, error = trace_source(source, "<t>", "f", "f32[5], 2", "jit | compile")
    assert error is None
    compiled = stages[-1]
    assert compiled.reference["map_via"] == "tag"
    assert not [k for k, p in compiled.fusions.items() if p["status"] == "unmapped"]


def test_a_failing_tagged_build_falls_back_to_the_plain_one(monkeypatch):
    from jaxviz.trace import compiled

    def broken(closed):
        raise RuntimeError("tags out of order")
    monkeypatch.setattr(compiled, "tag_jaxpr", broken)
    source = "def f(x):\n    return jnp.sin(x).sum()\n"
    stages, error = trace_source(source, "<t>", "f", "f32[3]", "jit | compile")
    assert error is None
    assert stages[-1].reference["map_via"] == "op_name"
    assert any("tagged build failed" in n["message"] for n in stages[-1].notes)


def test_literals_keep_jax_text_for_tooltips_and_details():
    from jaxviz.core.model.graph_model import GraphModel
    from jaxviz.core.model.tooltips import tooltips

    source = "def f(x):\n    return x * np.float32(0.1)\n"
    stages, error = trace_source(source, "<t>", "f", "f32[3]", "")
    assert error is None
    node = next(n for n in stages[0].graph.walk_nodes() if n.literals)
    literal = node.literals[0]
    assert literal.text == "0.1:f32[]"  # the label's short form
    assert literal.jax_text in stages[0].jaxpr  # JAX's own: 0.10000000149011612:f32[]
    model = GraphModel(stages[0].graph)
    tips = tooltips(model, model.visible())
    assert any(literal.jax_text in tip for tip in tips.values())


def test_jax_text_never_holds_colour_codes(monkeypatch):
    """In a Jupyter kernel JAX colours ``str(jaxpr)``; the stage's text stays plain."""
    from jax._src import pretty_printer

    monkeypatch.setattr(pretty_printer, "CAN_USE_COLOR", True)
    source = "def f(x):\n    return (jnp.sin(x) * 2.0).sum()\n"
    stages, error = trace_source(source, "<t>", "f", "f32[3]", "grad")
    assert error is None
    assert all("\x1b[" not in s.jaxpr for s in stages)
