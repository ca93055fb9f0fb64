"""A big argument pytree is one box at first, and many values between a closed box and one
node are one edge: a 48-layer model's first view shows its parts, not 288 parameter ovals."""

from jaxviz.core.layout.check import check_layout
from jaxviz.core.layout.engine import layout_model
from jaxviz.core.model.graph_model import BUNDLE_MIN, GraphModel
from jaxviz.core.model.groups import ARGUMENT, ARGUMENT_MIN_LEAVES
from tests.core.traced import trace

STACK = """
def layer(p, x):
    return jnp.tanh(x @ p["w"] + p["b"]) * p["s"]

def net(params, x):
    for p in params:
        x = layer(p, x)
    return jnp.mean(x ** 2)

def make(depth):
    return [dict(w=jax.ShapeDtypeStruct((4, 4), jnp.float32),
                 b=jax.ShapeDtypeStruct((4,), jnp.float32),
                 s=jax.ShapeDtypeStruct((4,), jnp.float32)) for _ in range(depth)]
"""


def _stage(depth: int, pipeline: str = ""):
    stages, error = trace(source=STACK, function="net", args=f"make({depth}), f32[2,4]",
                          pipeline=pipeline)
    assert error is None, error
    return stages[-1]


def _arguments(model: GraphModel):
    return {g.label: g for g in model.groups.values() if g.kind == ARGUMENT}


def test_a_big_argument_is_one_closed_box_that_opens_to_all_its_inputs():
    stage = _stage(10)  # 30 parameters
    model = GraphModel(stage.graph)
    params = _arguments(model)["params"]
    assert params.values == 30 and params.id not in model.open
    view = model.visible()
    assert view.nodes[params.id].lines == ["▸ params", "argument · 30 inputs"]
    inputs = [n for n in view.nodes.values() if n.kind == "input"]
    assert [n.lines[0] for n in inputs] == ["x"]  # the small argument stays as it is
    model.toggle(params.id)
    opened = model.visible()
    names = sorted(n.lines[0] for n in opened.nodes.values()
                   if n.kind == "input" and n.cluster == params.id)
    assert len(names) == 30 and "params[9]['w']" in names


def test_small_arguments_and_results_stay_as_they_are():
    stage = _stage(2)  # 6 parameters, x and the loss: 8 ovals
    assert _arguments(GraphModel(stage.graph)) == {}


def test_more_ends_than_a_row_holds_box_every_pytree_of_several():
    stage = _stage(ARGUMENT_MIN_LEAVES // 3 - 1)  # 21 parameters: below the big-argument size
    model = GraphModel(stage.graph)
    assert _arguments(model)["params"].values == 21
    assert [n.lines[0] for n in model.visible().nodes.values() if n.kind == "input"] == ["x"]


def test_wide_parameter_names_make_a_box_of_a_few():
    """haiku names a parameter ``params['mlp/~/linear_0']['w']``: six of them side by side are
    wider than a screen, so they are one box."""
    source = ("def f(params, x):\n    for k in range(3):\n"
              "        p = params[f'mlp/~/linear_{k}']\n        x = jnp.tanh(x @ p['w'] + p['b'])\n"
              "    return x.sum()\n")
    args = ("{f'mlp/~/linear_{k}': {'w': jax.ShapeDtypeStruct((4, 4), jnp.float32), "
            "'b': jax.ShapeDtypeStruct((4,), jnp.float32)} for k in range(3)}, f32[2,4]")
    stages, error = trace(source=source, function="f", args=args, pipeline="")
    assert error is None, error
    assert _arguments(GraphModel(stages[-1].graph))["params"].values == 6


def test_the_results_of_a_grad_are_one_box_too():
    model = GraphModel(_stage(10, "grad").graph)
    result = _arguments(model)["result"]
    assert result.values == 30 and result.primitive == "outputs"
    assert model.visible().nodes[result.id].lines == ["▸ result", "result · 30 outputs"]


def test_many_values_from_a_closed_box_to_one_node_are_one_edge_saying_how_many():
    stage = _stage(10)
    model = GraphModel(stage.graph, open_groups=set())
    view = model.visible()
    params = _arguments(model)["params"].id
    out = [e for e in view.edges if e.src == params]
    fold = next(g.id for g in model.groups.values() if g.label.endswith("×10"))
    assert len([e for e in out if e.dst == fold]) == 1  # 30 arrays into the fold: one edge
    bundle = next(e for e in out if e.dst == fold)
    assert bundle.type == "30 arrays" and "…" in bundle.var
    # every bundle stands for at least BUNDLE_MIN values; fewer are drawn one by one
    pairs = {}
    for e in view.edges:
        pairs.setdefault((e.src, e.dst), []).append(e)
    assert all(len(es) == 1 for es in pairs.values() if any("…" in e.var for e in es))
    assert all(int(e.type.split()[0].replace(",", "")) >= BUNDLE_MIN
               for e in view.edges if "…" in e.var)


def test_a_48_layer_first_view_is_a_handful_of_boxes_and_draws_cleanly():
    stage = _stage(48)
    model = GraphModel(stage.graph)
    layout = layout_model(model)
    assert len(layout.nodes) < 12  # 144 parameters, 48 layers: params, x, the fold, ...
    parents = {gid: g.parent for gid, g in model.groups.items()}
    defects = check_layout(layout, parents)
    assert (defects.edges_through_nodes, defects.node_overlaps, defects.label_overlaps) == \
        (0, 0, 0)
    assert 0.25 <= layout.width / layout.height <= 4
