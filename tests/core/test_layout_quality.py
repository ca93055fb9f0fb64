"""The layered layout never lies: no edge through a node it does not touch, no box over
another, no group box over a node it does not hold, no stubs: on random compound graphs
(built by hand, no jax) and on every traced sample, groups open and closed."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaxviz.core.ir.graph import EQN, INPUT, OUTPUT, Edge, Graph, Node, Port
from jaxviz.core.layout.check import check_layout
from jaxviz.core.layout.engine import LayoutOptions, layout_model
from jaxviz.core.model.graph_model import GraphModel

PRIMS = ["sin", "mul", "dot_general", "add", "broadcast_in_dim", "reduce_sum"]


def _port(name):
    return Port(name, "f32[3]", [3], "float32")


@st.composite
def compound_graphs(draw):
    """A DAG of equations, each under a random named-scope path (nested groups)."""
    n = draw(st.integers(2, 40))
    scopes = draw(st.lists(st.sampled_from(["", "a", "a/b", "a/c", "d", "d/e/f"]),
                           min_size=n, max_size=n))
    nodes = [Node("in0", INPUT, "x", outputs=[_port("x")]),
             Node("in1", INPUT, "y", outputs=[_port("y")])]
    edges = []
    for k in range(n):
        prim = draw(st.sampled_from(PRIMS))
        nodes.append(Node(f"e{k}", EQN, prim, primitive=prim, outputs=[_port(f"v{k}")],
                          name_stack=scopes[k], scopes=[s for s in scopes[k].split("/") if s],
                          arity=2, params_short="y=3" * draw(st.integers(0, 3))))
        sources = ["in0", "in1"] + [f"e{j}" for j in range(k)]
        for pos in range(draw(st.integers(1, 2))):
            src = draw(st.sampled_from(sources))
            edges.append(Edge(src, f"e{k}", "v", 0, pos, "f32[3]", [3], "float32"))
    for i in range(draw(st.integers(1, 3))):
        src = f"e{draw(st.integers(0, n - 1))}"
        nodes.append(Node(f"out{i}", OUTPUT, "o", outputs=[_port("o")]))
        edges.append(Edge(src, f"out{i}", "o", 0, 0, "f32[3]", [3], "float32"))
    return Graph(nodes=nodes, edges=edges, name="f")


def _defects(model, rankdir="TB"):
    layout = layout_model(model, LayoutOptions(engine="layered", rankdir=rankdir))
    d = check_layout(layout, {gid: g.parent for gid, g in model.groups.items()})
    return d, (d.edges_through_nodes, d.node_overlaps, d.group_overlaps, d.stubs,
               d.label_overlaps)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=compound_graphs(), expand=st.booleans(), rankdir=st.sampled_from(["TB", "LR"]))
def test_random_compound_graphs_have_no_defects(graph, expand, rankdir):
    d, counts = _defects(GraphModel(graph, expand_all=expand), rankdir)
    assert counts == (0, 0, 0, 0, 0), d


def _traced_cases():
    from tests.data import samples as s
    return [(x, p) for x in s.ALL for p in {x.pipeline, "grad"} if p != "grad" or x.name in
            ("polynomial", "mlp", "remat", "custom_vjp")]


@pytest.mark.parametrize("sample, pipeline", _traced_cases(),
                         ids=[f"{x.name}|{p}" for x, p in _traced_cases()])
@pytest.mark.parametrize("expand", [False, True])
def test_traced_samples_have_no_defects(sample, pipeline, expand):
    from tests.core.traced import trace
    stages, error = trace(sample, pipeline=pipeline)
    assert error is None, error
    for stage in stages:
        d, counts = _defects(GraphModel(stage.graph, expand_all=expand))
        assert counts == (0, 0, 0, 0, 0), (stage.title, d)


def test_the_checker_sees_an_edge_through_a_node():
    graph = Graph(nodes=[Node("a", INPUT, "a", outputs=[_port("a")]),
                         Node("b", EQN, "sin", primitive="sin", outputs=[_port("b")]),
                         Node("c", OUTPUT, "c", outputs=[_port("c")])],
                  edges=[Edge("a", "b", "a", 0, 0), Edge("b", "c", "b", 0, 0),
                         Edge("a", "c", "a", 0, 0)])
    layout = layout_model(GraphModel(graph), LayoutOptions(engine="layered"))
    assert check_layout(layout).edges_through_nodes == 0
    a, b, c = (layout.nodes[k] for k in "abc")
    layout.edges[2].points = [[a.x, a.y], [c.x, c.y]]  # straight through b, as before
    b.x = a.x = c.x
    assert check_layout(layout).edges_through_nodes == 1


def _chain(n, scope=""):
    from tests.core.factories import chain_graph
    graph = chain_graph(n, scope=scope)
    for node in graph.nodes:
        node.scopes = [s for s in node.name_stack.split("/") if s]
    return graph


@pytest.mark.parametrize("scope", ["", "one/long/group"])
def test_a_long_chain_is_wrapped_to_fit_a_page(scope):
    model = GraphModel(_chain(150, scope), expand_all=True)
    layout = layout_model(model, LayoutOptions(engine="layered"))
    d = check_layout(layout, {gid: g.parent for gid, g in model.groups.items()})
    assert d.aspect <= 4.0, d
    assert (d.edges_through_nodes, d.node_overlaps, d.group_overlaps, d.label_overlaps) == \
        (0, 0, 0, 0), d
    if scope:  # the group runs through every column: a box in each
        assert len([c for c in layout.clusters if c.id.startswith("/s:one/long/group")]) > 1


def test_wrapping_can_be_turned_off():
    model = GraphModel(_chain(150), expand_all=True)
    layout = layout_model(model, LayoutOptions(engine="layered", wrap=False))
    assert check_layout(layout).aspect > 4.0
