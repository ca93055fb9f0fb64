"""The graph model: groups from nested jaxprs and named scopes, open and closed."""

import pytest

from jaxviz.core.ir.graph import EQN, Node, scopes_of, transforms_of
from jaxviz.core.model.graph_model import GraphModel
from tests.core.factories import chain_graph
from tests.core.traced import trace
from tests.data import samples as s


def leaf_counts(graph):
    """Nodes a fully opened graph shows: every node of every jaxpr but the calls themselves."""
    nodes = [n for n in graph.walk_nodes() if not n.subgraphs]
    return len(nodes)


@pytest.mark.parametrize("sample", s.ALL, ids=lambda x: x.name)
def test_fully_open_graph_shows_every_equation_input_and_output(sample):
    stages, _ = trace(sample)
    for stage in stages:
        view = GraphModel(stage.graph, expand_all=True).visible()
        assert len(view.nodes) == leaf_counts(stage.graph)
        eqns = [n for n in view.nodes.values() if n.kind == "eqn"]
        assert len(eqns) == sum(1 for n in stage.graph.walk_nodes()
                                if n.kind == EQN and not n.subgraphs)


def test_top_level_edges_match_the_jaxpr_when_closed():
    stages, _ = trace(s.MATMUL, pipeline="jit")
    model = GraphModel(stages[1].graph, open_groups=set())
    view = model.visible()
    assert sorted(n.kind for n in view.nodes.values()) == ["group", "input", "input", "output"]
    assert len(view.edges) == 3
    group = view.nodes["e0"]
    assert group.lines == ["▸ jit matrix_mul", "jit · 1 eqn"]


def test_opening_a_group_rewires_edges_through_its_jaxpr():
    stages, _ = trace(s.MATMUL, pipeline="jit")
    model = GraphModel(stages[1].graph, open_groups=set())
    model.toggle("e0")
    view = model.visible()
    assert "e0" in view.clusters and "e0" not in view.nodes
    pairs = {(e.src, e.dst) for e in view.edges}
    assert ("in0", "e0/g0/in0") in pairs and ("e0/g0/out0", "out0") in pairs
    assert ("e0/g0/in0", "e0/g0/e0") in pairs
    model.toggle("e0")
    assert "e0" in model.visible().nodes


def test_cond_branches_are_sub_clusters():
    stages, _ = trace(s.COND, pipeline="")
    view = GraphModel(stages[0].graph, expand_all=True).visible()
    cond = [gid for gid, g in view.clusters.items() if g.kind == "call"][0]
    branches = [g for g in view.clusters.values() if g.parent == cond]
    assert [b.label for b in branches] == ["branches[0]", "branches[1]"]


def test_big_groups_start_closed():
    source = ("def f(x):\n    def body(i, v):\n" + "".join(
        f"        v = jnp.sin(v) * {k}.0\n" for k in range(40)) + "        return v\n"
              "    return lax.fori_loop(0, 3, body, x)\n")
    stages, error = trace(source=source, function="f", args="1.0", pipeline="")
    assert error is None
    model = GraphModel(stages[0].graph)
    (loop,) = [g for g in model.groups.values() if g.kind == "call"]
    assert loop.equations > 60
    assert loop.id not in model.open
    assert model.visible().nodes[loop.id].kind == "group"


def test_named_scopes_make_groups():
    graph = chain_graph(3, scope="transpose(jvp(layer1/dense))")
    model = GraphModel(graph, open_groups=set())
    view = model.visible()
    (group,) = [n for n in view.nodes.values() if n.kind == "group"]
    assert group.lines[0] == "▸ layer1" and "3 eqns" in group.lines[1]
    model.open_all()
    view = model.visible()
    assert {c.label for c in view.clusters.values()} == {"layer1", "dense"}


def test_name_stacks_of_version_1_ir_are_read_back_from_their_text():
    def node(stack):
        return Node(id="e0", kind="eqn", label="sin", name_stack=stack)
    assert scopes_of(node("transpose(jvp(a/b))")) == ["a", "b"]
    assert transforms_of(node("transpose(jvp(a/b))")) == ["transpose", "jvp"]
    assert scopes_of(node("jvp()")) == [] and transforms_of(node("jvp()")) == ["jvp"]
    assert scopes_of(node("")) == []


def test_an_ir_from_a_newer_jaxviz_is_refused_by_name():
    from jaxviz.core.ir.graph import IR_VERSION, stage_from_dict, to_dict

    data = to_dict(trace(s.POLYNOMIAL)[0][0])
    data["ir_version"] = IR_VERSION + 1
    with pytest.raises(ValueError, match=f"version {IR_VERSION + 1} is newer than this jaxviz"):
        stage_from_dict(data)


def test_the_engine_is_chosen_by_the_options():
    from jaxviz.core.layout.engine import LayoutOptions, layout_model

    model = GraphModel(trace(s.POLYNOMIAL, pipeline="grad")[0][1].graph)
    assert layout_model(model, LayoutOptions()).engine == "layered"  # auto: ours
    assert layout_model(model, LayoutOptions(engine="layered")).engine == "layered"
    assert layout_model(model, LayoutOptions(engine="dot")).engine == "dot"


def test_layout_options_saved_by_an_older_version_load_without_its_dropped_keys():
    from jaxviz.core.layout.engine import LayoutOptions

    options = LayoutOptions.from_dict({"rankdir": "LR", "dot_limit": 4000})
    assert options.rankdir == "LR" and "dot_limit" not in options.to_dict()
