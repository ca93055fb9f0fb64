"""The picture shows the user's program on real models written as their users write them
(``tests/data/models``: flax linen + optax, flax nnx, equinox, haiku, a Python loop of
layers): groups named after the user's functions, modules and library calls, one group per
call, each backward pass numbered like the forward call it undoes, library internals in
closed boxes, and zero layout defects at every depth."""

import random
from pathlib import Path

import pytest

from jaxviz.core.layout.check import check_layout
from jaxviz.core.layout.engine import layout_model
from jaxviz.core.model.graph_model import GraphModel
from jaxviz.core.model.groups import FOLD, FUNCTION, LIBRARY
from jaxviz.trace.session import trace_source

MODELS = Path(__file__).resolve().parents[1] / "data" / "models"
CASES = {
    "flax_train": ("train_step", "params, opt_state, f32[8,16], i32[8]", "jit"),
    "nnx_encoder": ("loss", "state, f32[4,8,16]", "grad"),
    "eqx_cnn": ("step", "model, f32[2,1,8,8], i32[2]", "jit"),
    "haiku_mlp": ("loss", "params, f32[4,16]", "grad"),
    "layer_loop": ("loss", "params, f32[4,16]", "grad"),
}


def _model(name: str, **opening) -> GraphModel:
    function, args, pipeline = CASES[name]
    path = MODELS / f"{name}.py"
    stages, error = trace_source(path.read_text(), str(path), function, args, pipeline)
    assert error is None, error
    return GraphModel(stages[-1].graph, **opening)


def _labels(model: GraphModel, kind: str | None = None) -> list[str]:
    return [g.label for g in model.groups.values() if kind is None or g.kind == kind]


def test_a_python_loop_of_three_layers_is_three_forward_and_three_backward_calls():
    labels = [x for x in _labels(_model("layer_loop"), FUNCTION) if x.startswith("layer")]
    assert [x for x in labels if not x.endswith("(backward)")] == [
        "layer #1", "layer #2", "layer #3"]
    assert [x for x in labels if x.endswith("(backward)")] == [
        "layer #3 (backward)", "layer #2 (backward)", "layer #1 (backward)"]


def test_flax_and_optax_calls_are_boxes_named_as_the_user_wrote_them():
    model = _model("flax_train")
    labels = _labels(model)
    assert "loss_fn" in labels and "MLP" in labels
    assert any(x.startswith("dense1 · nn.Dense") for x in labels)
    assert any(x.startswith("optax.softmax_cross_entropy_with_integer_labels") for x in labels)
    assert any(x.startswith("tx.update") for x in labels)
    update = next(g for g in model.groups.values() if g.label.startswith("tx.update"))
    assert update.kind == LIBRARY and update.id not in model.open  # closed at first
    top = {model.groups[n].label for n in model.visible().nodes if n in model.groups}
    assert not any(x.startswith("jit _") for x in top)  # no private helper on view


def test_an_nnx_encoder_folds_its_blocks_and_names_its_modules():
    model = _model("nnx_encoder")
    labels = _labels(model)
    assert "Block #1" in labels and "Block ×2" in labels
    assert "Block #1 (backward)" in labels
    for name in ("norm1", "attn", "norm2", "mlp_in", "mlp_out"):
        assert any(x.startswith(f"{name} · ") for x in labels), name
    assert any(g.kind == FOLD for g in model.groups.values())


def test_equinox_modules_are_named_by_their_fields():
    labels = _labels(_model("eqx_cnn"))
    for name in ("conv1", "conv2", "fc"):
        assert any(x.startswith(f"{name} · ") for x in labels), (name, labels)


def test_haiku_mlp_is_one_library_call_with_its_layers_inside():
    model = _model("haiku_mlp", expand_all=True)
    calls = [x for x in _labels(model, LIBRARY) if "hk.nets.MLP" in x]
    assert calls == ["mlp · hk.nets.MLP · line 9", "mlp · hk.nets.MLP · line 9 (backward)"]
    assert {"linear_0", "linear_1", "linear_2"} <= set(_labels(model))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("opening", [{}, {"depth": 0}, {"depth": 1}, {"depth": 2},
                                     {"expand_all": True}], ids=str)
def test_no_layout_defect_at_any_depth(name, opening):
    """Depth 0 closes every group: with forward and backward calls in one box, the visible
    graph can turn cyclic, and its edges must still go round the boxes."""
    model = _model(name, **opening)
    d = check_layout(layout_model(model), {g: x.parent for g, x in model.groups.items()})
    assert (d.edges_through_nodes, d.node_overlaps, d.group_overlaps, d.stubs,
            d.labels_crossed) == (0, 0, 0, 0, 0), d


def test_a_named_scope_around_calls_is_one_box_that_closes_cleanly():
    source = ("def f(x):\n    with jax.named_scope('layer'):\n        y = jnp.sin(x) * x\n"
              "        z = jnp.tanh(y) + y\n    return (z * 2.0).sum()\n")
    stages, error = trace_source(source, "<editor>", "f", "f32[8]", "grad")
    assert error is None
    model = GraphModel(stages[-1].graph)
    scopes = [g for g in model.groups.values() if g.label == "layer"]
    assert len(scopes) == 1  # not one per library call inside it
    for closed in [set(), {scopes[0].id}, set(model.groups)]:
        shut = GraphModel(stages[-1].graph, open_groups=set(model.groups) - closed)
        d = check_layout(layout_model(shut), {g: x.parent for g, x in shut.groups.items()})
        assert (d.edges_through_nodes, d.node_overlaps, d.group_overlaps, d.stubs,
                d.labels_crossed) == (0, 0, 0, 0, 0), (closed, d)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_top_level_is_small(name):
    view = _model(name, depth=0).visible()
    assert len(view.nodes) <= 60, len(view.nodes)


@pytest.mark.parametrize("name", sorted(CASES))
def test_random_groups_closed_draw_no_defect(name):
    """A property over openings: any set of open groups (seeded draws) lays out cleanly."""
    base = _model(name)
    draw = random.Random(name)
    for _ in range(4):
        opened = {g for g in sorted(base.groups) if draw.random() < 0.5}
        model = GraphModel(base.graph, open_groups=opened)
        d = check_layout(layout_model(model), {g: x.parent for g, x in model.groups.items()})
        assert (d.edges_through_nodes, d.node_overlaps, d.group_overlaps, d.stubs,
                d.labels_crossed) == (0, 0, 0, 0, 0), (sorted(opened), d)


def test_jax_nesting_mode_groups_by_jaxs_own_nesting_only():
    """For those who want JAX's picture: no group of the user's calls, the library's jit
    helpers (``jit _where``) as the groups, and still zero defects."""
    ours, theirs = _model("flax_train"), _model("flax_train", jax_nesting=True)
    assert {FUNCTION, LIBRARY} & {g.kind for g in ours.groups.values()}
    assert not {FUNCTION, LIBRARY, FOLD} & {g.kind for g in theirs.groups.values()}
    labels = _labels(theirs)
    assert any(label.startswith("jit ") for label in labels)
    assert sum(g.equations for g in theirs.groups.values() if g.parent is None) > 0
    d = check_layout(layout_model(theirs), {g: x.parent for g, x in theirs.groups.items()})
    assert (d.edges_through_nodes, d.node_overlaps, d.group_overlaps) == (0, 0, 0), d


def test_checkpoints_recomputation_in_the_backward_pass_is_marked_as_such():
    from jaxviz.core.model.styles import PROVENANCE_BORDERS, RECOMPUTED

    source = ("def layer(w, x):\n    return jnp.tanh(x @ w)\n\n"
              "def loss(w, x):\n    return jnp.sum(jax.checkpoint(layer)(w, x) ** 2)\n")
    stages, error = trace_source(source, "<editor>", "loss", "f32[4,4], f32[2,4]", "grad")
    assert error is None, error
    model = GraphModel(stages[-1].graph, expand_all=True)
    view = model.visible()
    colour, dash, _ = PROVENANCE_BORDERS[RECOMPUTED]
    again = sorted(model.nodes[n].primitive for n, v in view.nodes.items()
                   if (v.style.border, v.style.dash) == (colour, dash))
    assert again == ["dot_general", "sub", "tanh"]  # the forward layer, run again
    assert "forward, recomputed (checkpoint)" in _labels(model)
