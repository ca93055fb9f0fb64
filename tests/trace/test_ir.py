"""The graph IR: nodes and edges match the jaxpr, nested jaxprs are child graphs, JSON-safe."""

import json

import pytest

from jaxviz.core.ir.graph import EQN, IR_VERSION, stage_from_dict, to_dict
from tests.data import samples as s
from tests.trace.helpers import trace


def test_polynomial_grad_ir():
    stages, _ = trace(s.POLYNOMIAL)
    g = stages[1].graph
    eqns = [n for n in g.nodes if n.kind == EQN]
    assert len(eqns) == 18
    first = eqns[0]
    assert (first.primitive, first.params_short, first.line) == ("integer_pow", "y=3", 3)
    assert first.name_stack == "jvp()"
    assert eqns[-1].name_stack == "transpose(jvp())"
    mul = eqns[2]
    assert [lit.text for lit in mul.literals] == ["3.0:f32[]"]
    # every equation sits on its own line of the text
    lines = stages[1].jaxpr.splitlines()
    for n in eqns:
        assert lines[n.text_line].strip() == n.text


def test_edges_carry_operand_positions_and_types():
    stages, _ = trace(s.MATMUL, pipeline="")
    g = stages[0].graph
    dot = [n for n in g.nodes if n.kind == EQN][0]
    assert dot.params_short == "((1),(0))"
    into = sorted((e.dst_port, e.src, e.type) for e in g.edges if e.dst == dot.id)
    assert into == [(0, "in0", "f32[10,50]"), (1, "in1", "f32[50,10]")]


@pytest.mark.parametrize("sample", s.NESTED, ids=lambda x: x.name)
def test_nested_jaxprs_are_child_graphs(sample):
    stages, error = trace(sample)
    assert error is None
    for stage in stages[:1] if sample.pipeline == "vmap" else stages:  # vmap turns cond into select
        nested = [n for n in stage.graph.walk_nodes() if n.subgraphs]
        assert nested, f"{stage.title} has no nested jaxpr"
        total = sum(1 for n in stage.graph.walk_nodes() if n.kind == EQN)
        assert total == stage.equations
        for node in nested:
            for sub in node.subgraphs:
                assert sub.id.startswith(node.id + "/g")
                assert all(n.id.startswith(sub.id + "/") for n in sub.nodes)


def test_cond_branches_wired_to_operands():
    stages, _ = trace(s.COND, pipeline="")
    cond = [n for n in stages[0].graph.walk_nodes() if n.primitive == "cond"][0]
    assert len(cond.subgraphs) == 2
    assert [g.name for g in cond.subgraphs] == ["branches[0]", "branches[1]"]
    assert all(g.input_ports == [1] and g.output_ports == [0] for g in cond.subgraphs)


def test_while_cond_takes_its_own_operands():
    stages, _ = trace(s.WHILE)
    loop = [n for n in stages[0].graph.nodes if n.primitive == "while"][0]
    ports = {g.name: g.input_ports for g in loop.subgraphs}
    assert ports == {"cond_jaxpr": [0], "body_jaxpr": [0]}


def test_ir_round_trips_through_json():
    stages, _ = trace(s.SCAN)
    data = json.loads(json.dumps(to_dict(stages[1])))
    assert data["ir_version"] == IR_VERSION
    back = stage_from_dict(data)
    assert back == stages[1]


@pytest.mark.parametrize("sample", s.ALL, ids=lambda x: x.name)
def test_a_text_only_trace_prints_what_the_full_one_does(sample):
    """``jaxviz trace`` builds no graph: its text, counts and notes are those of the IR's."""
    from jaxviz.trace.session import trace_source

    full, error = trace_source(sample.source, "<editor>", sample.function, sample.args,
                               sample.pipeline)
    text, text_error = trace_source(sample.source, "<editor>", sample.function, sample.args,
                                    sample.pipeline, text_only=True)
    assert (error is None) == (text_error is None)
    assert [(t.title, t.jaxpr, t.equations, t.printed_equations, t.notes) for t in text] == \
        [(f.title, f.jaxpr, f.equations, f.printed_equations, f.notes) for f in full]


def test_exporting_the_last_stage_builds_its_graph_only():
    """``jaxviz export`` writes the last stage: the others get their text, not a graph."""
    from jaxviz.trace.session import trace_source

    args = (s.SCAN.source, "<editor>", s.SCAN.function, s.SCAN.args, "grad | jit")
    full, _ = trace_source(*args)
    last, _ = trace_source(*args, graph_last_only=True)
    assert [t.jaxpr for t in last] == [f.jaxpr for f in full]
    assert last[-1].graph == full[-1].graph and full[0].graph.nodes
    assert all(not t.graph.nodes for t in last[:-1])


def test_the_last_stage_first_gives_the_stages_of_the_full_trace():
    """The app's trace builds the last stage's IR first and the others after its first view:
    the same stages, in the same order, and the stages before a failing one."""
    from jaxviz.trace.session import trace_last_first, trace_source

    args = (s.SCAN.source, "<editor>", s.SCAN.function, s.SCAN.args, "grad | jit")
    stages, error, finish = trace_last_first(*args)
    assert error is None and stages[-1] is not None and stages[0] is None
    # its graph comes before its text: JAX's text is printed after the first view
    assert stages[-1].jaxpr == "" and stages[-1].graph.nodes
    assert all(n.text_line is None for n in stages[-1].graph.walk_nodes())
    finish()
    assert "text" in stages[-1].timings
    full, _ = trace_source(*args)
    assert [(t.title, t.jaxpr, t.graph) for t in stages] == \
        [(f.title, f.jaxpr, f.graph) for f in full]
    failing = ("def f(x):\n    return x.sum()\n", "<editor>", "f", "jnp.ones(3)",
               "grad | grad")
    stages, error, _ = trace_last_first(*failing)
    assert error is not None and [t.title for t in stages] == ["f", "grad(f)"]


def test_the_shown_stage_is_traced_first_and_an_earlier_failure_still_reported():
    """The last stage is traced before the others (the window shows it first); an earlier
    stage that fails when its turn comes (here a function that counts its calls) gives the
    stages before it and its error, as the in-order trace does."""
    from jaxviz.trace.session import trace_last_first

    said = []
    progress = lambda message, fraction: said.append(message)  # noqa: E731
    stateful = ("calls = []\ndef f(x):\n    calls.append(1)\n"
                "    if len(calls) == 2:\n        raise ValueError('called twice')\n"
                "    return x * 2.0\n")
    stages, error, finish = trace_last_first(stateful, "<editor>", "f", "1.0", "grad", progress)
    assert error is None and stages[0] is None and stages[1].title == "grad(f)"
    assert said == ["tracing grad(f)"]
    error = finish()
    assert said == ["tracing grad(f)", "tracing f"]
    assert error is not None and "called twice" in error.message and stages == []
