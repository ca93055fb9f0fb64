"""The tutorial's examples, traced as the worker traces them."""

import jax
import pytest

from tests.data import samples as s
from tests.trace.helpers import stage_functions, trace


def test_polynomial_derivatives_give_62_54_24():
    plans = stage_functions(s.POLYNOMIAL, "grad | grad | grad")
    assert [p.title for p in plans] == ["f", "grad(f)", "grad(grad(f))", "grad(grad(grad(f)))"]
    values = [float(p.fn(*p.args)) for p in plans]
    assert values == [49.0, 62.0, 54.0, 24.0]


def test_polynomial_stage_text_is_jax_own():
    stages, error = trace(s.POLYNOMIAL, pipeline="grad | grad | grad")
    assert error is None
    for stage, plan in zip(stages, stage_functions(s.POLYNOMIAL, "grad | grad | grad")):
        assert stage.jaxpr == str(jax.make_jaxpr(plan.fn)(*plan.args))
    assert [st.equations for st in stages[:2]] == [8, 18]


def test_matmul_under_jit_holds_dot_general():
    stages, error = trace(s.MATMUL)
    assert error is None
    (jit_node,) = [n for n in stages[1].graph.nodes if n.kind == "eqn"]
    assert jit_node.primitive == "jit"
    inner = [n.primitive for n in jit_node.subgraphs[0].nodes if n.kind == "eqn"]
    assert inner == ["dot_general"]
    assert stages[1].equations == 2
    assert jit_node.subgraphs[0].input_ports == [0, 1]


def test_windowed_mean_under_vmap_gives_8_by_3():
    stages, error = trace(s.WINDOWED_MEAN)
    assert error is None
    assert stages[0].graph.nodes[0].outputs[0].type == "f32[3]"  # f sees one row
    out = [n for n in stages[1].graph.nodes if n.kind == "output"][0]
    assert out.outputs[0].type == "f32[8,3]"


def test_pmap_matmul_over_4_host_devices():
    assert jax.local_device_count() == 4
    stages, error = trace(s.PMAP_MATMUL)
    assert error is None
    out = [n for n in stages[1].graph.nodes if n.kind == "output"][0]
    assert out.outputs[0].type == "f32[4,6,3]"
    prims = {n.primitive for n in stages[1].graph.walk_nodes()}
    assert "dot_general" in prims


def test_if_under_jit_is_explained_with_the_where_fix():
    stages, error = trace(s.IF_UNDER_JIT)
    assert stages == []  # make_jaxpr traces abstractly: even f has no concrete x
    assert error.exception == "TracerBoolConversionError"
    assert error.line == 3
    assert "jnp.where" in error.hint and "static_argnums" in error.hint
    assert error.stage == "f"
    assert "site-packages" not in error.details and "jax/_src" not in error.details


def test_where_under_jit_traces():
    stages, error = trace(s.WHERE_UNDER_JIT)
    assert error is None
    prims = [n.primitive for n in stages[1].graph.walk_nodes() if n.kind == "eqn"]
    assert "select_n" in prims


@pytest.mark.parametrize("sample", s.ALL, ids=lambda x: x.name)
def test_every_sample_traces(sample):
    stages, error = trace(sample)
    assert error is None, error
    assert len(stages) == 1 + len([t for t in sample.pipeline.split("|") if t.strip()])
