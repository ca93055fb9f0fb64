"""Batch axes of vmap stages, from recorded traces (no jax): every axis found is checked
against the shapes of the stage before, on the built-in vmap examples and on in_axes=(None, 0),
in_axes=1, out_axes=1, nested vmap, vmap of grad, a scan and equal sizes."""

import pytest

from jaxviz.core.diff.batch_axes import (
    AMBIGUOUS,
    BATCHED,
    BROADCAST,
    UNBATCHED,
    UNKNOWN,
    batch_axes,
    fits,
    is_vmap_stage,
    listing,
    mark_dims,
    stage_batch_axes,
    with_batch_axes,
)
from jaxviz.core.diff.batch_evidence import witnesses
from jaxviz.core.examples import read_examples
from jaxviz.core.model.graph_model import GraphModel
from jaxviz.core.model.tooltips import tooltips
from tests.core.traced import trace
from tests.data.vmap_cases import CASES, SOURCE

VMAP_EXAMPLES = [e for e in read_examples() if "vmap" in e.pipeline]


def vmap_pairs(stages):
    return [(a, b) for a, b in zip(stages, stages[1:]) if is_vmap_stage(b)]


def traced(source, function, args, pipeline):
    stages, error = trace(source=source, function=function, args=args, pipeline=pipeline)
    assert error is None, error
    return stages


def case_stages(name):
    function, pipeline, args = CASES[name][:3]
    return traced(SOURCE, function, args, pipeline)


def removed(shape, axis, before):
    """The shape with the batch axis taken out (and, for a value lined up with size-1
    dimensions to broadcast, those 1s: ``f32[8,1]`` from ``f32[]``)."""
    rest = list(shape[:axis]) + list(shape[axis + 1 :])
    if len(rest) > len(before):
        return [d for d in rest if d != 1], [d for d in before if d != 1]
    return rest, list(before)


def consistent(before, after, result=None) -> int:
    """Assert each answer against every shape the stage before gives the variable (taking the
    batch axis out gives it back); returns how many answers were checked so."""
    result, checked = result or batch_axes(before, after), 0
    shapes = {
        var: node.outputs[k].shape
        for var in result.values
        for node in after.graph.walk_nodes()
        if node.id == var[0]
        for k in [var[1]]
    }
    for var, seen in witnesses(before, after).items():
        value, shape = result.values[var], shapes[var]
        for w in seen:
            if value.kind == UNBATCHED:
                assert list(shape) == list(w.shape), (var, value)
            elif value.kind in (BATCHED, BROADCAST, AMBIGUOUS):
                for axis in value.axes:
                    rest, was = removed(shape, axis, w.shape)
                    assert rest == was, (var, value, w)
                    assert shape[axis] == (1 if value.kind == BROADCAST else result.size)
            checked += 1
    return checked


@pytest.mark.parametrize("example", VMAP_EXAMPLES, ids=lambda e: e.title)
def test_examples_batch_axes_fit_the_stage_before(example):
    stages = traced(example.source, example.function, example.args, example.pipeline)
    ((before, after),) = vmap_pairs(stages)
    result = batch_axes(before, after)
    assert consistent(before, after) > 0
    assert result.size == 8
    assert result.counts()[UNKNOWN] == result.counts()[AMBIGUOUS] == 0
    assert all(v.axes == [0] for v in result.values.values())  # in_axes=0, out_axes=0


def test_examples_counts_are_pinned():
    counts = {}
    for e in VMAP_EXAMPLES:
        ((before, after),) = vmap_pairs(traced(e.source, e.function, e.args, e.pipeline))
        counts[e.title] = batch_axes(before, after).counts()[BATCHED]
    assert counts == {"Windowed mean under vmap": 18, "A cond, and what vmap makes of it": 12}


def test_a_cond_made_select_n_takes_its_axis_through_elementwise_equations():
    (e,) = [e for e in VMAP_EXAMPLES if "cond" in e.title]
    ((before, after),) = vmap_pairs(traced(e.source, e.function, e.args, e.pipeline))
    result = batch_axes(before, after)
    through = [v for v in result.values.values() if v.via.startswith("through")]
    assert len(through) == 6 and all(v.kind == BATCHED for v in through)


@pytest.mark.parametrize("name", sorted(CASES))
def test_cases_fit_the_stage_before(name):
    pairs = vmap_pairs(case_stages(name))
    assert pairs
    for before, after in pairs:
        assert consistent(before, after) > 0


def axes_by_var(name, stage=-1):
    before, after = vmap_pairs(case_stages(name))[stage]
    result = batch_axes(before, after)
    return {v.var: (v.kind, v.axes) for v in result.values.values()}, result


def test_in_axes_none_0_leaves_the_weights_unbatched():
    found, result = axes_by_var("in_axes (None, 0)")
    assert found["a"] == (UNBATCHED, []) and found["b"] == (BATCHED, [0])
    assert result.counts() == {BATCHED: 5, BROADCAST: 0, UNBATCHED: 1, AMBIGUOUS: 0, UNKNOWN: 0}


def test_in_axes_1_puts_the_inputs_batch_at_1_and_the_dot_moves_it_to_0():
    found, _ = axes_by_var("in_axes 1")
    assert found["a"] == (BATCHED, [1]) and found["b"] == (BATCHED, [1])
    assert found["c"] == (BATCHED, [0])  # dot_general's batch dimension comes first


def test_out_axes_1_moves_the_result_batch_to_1():
    found, result = axes_by_var("out_axes 1")
    out = result.of("out0")
    assert out.kind == BATCHED and out.axes == [1]
    assert found["f"] == (BATCHED, [0])  # f32[⟨8⟩,1]: the batched sum, lined up with [8,4]
    assert result.counts()[UNKNOWN] == 0


def test_nested_vmap_finds_the_outer_batch_inside_the_inner_one():
    found, result = axes_by_var("nested")
    assert result.size == 5
    assert found["a"] == (BATCHED, [0]) and found["b"] == (UNBATCHED, [])
    assert found["c"] == (BATCHED, [1])  # f32[8,⟨5⟩,4]: the inner batch stays in front
    inner, inner_result = axes_by_var("nested", stage=0)
    assert inner_result.size == 8 and inner["b"] == (BATCHED, [0])


def test_vmap_of_grad_marks_the_broadcast_operand():
    found, result = axes_by_var("vmap of grad")
    assert result.counts()[UNKNOWN] == 0
    broadcast = [v for v in result.values.values() if v.kind == BROADCAST]
    assert [(v.type, v.axes) for v in broadcast] == [("f32[1,4]", [0])]


def test_a_scan_carry_from_a_literal_is_batched():
    found, result = axes_by_var("scan")
    assert result.counts()[UNKNOWN] == 0
    assert found["b"] == (BATCHED, [0])  # broadcast_in_dim 0.0: the literal carry, batched
    assert found["c"] == (BATCHED, [1])  # transposed for the scan: f32[5,⟨8⟩]


def test_equal_sizes_are_ambiguous_not_guessed():
    found, result = axes_by_var("equal sizes")
    assert found["a"] == (BATCHED, [1])  # in_axes=1 picks among 0 and 1
    ambiguous = [v for v in result.values.values() if v.kind == AMBIGUOUS]
    assert ambiguous and all(len(v.axes) >= 2 for v in ambiguous)
    assert "ambiguous" in ambiguous[0].text()


def test_fits():
    assert fits([8, 4], [4], 8) == {(BATCHED, 0)}
    assert fits([4, 8], [4], 8) == {(BATCHED, 1)}
    assert fits([8, 8], [8], 8) == {(BATCHED, 0), (BATCHED, 1)}
    assert fits([1, 4], [4], 8) == {(BROADCAST, 0)}
    assert fits([8, 4], [8, 4], 8) == {(UNBATCHED, None)}
    assert fits([8, 3], [4], 8) == set() and fits([8, 4, 2], [4], 8) == set()
    assert fits([5, 4], [4], 8) == set()  # a dimension of another size is no batch
    assert fits([8, 1], [], 8) == {(BATCHED, 0)}  # a batched scalar lined up with [8,4]
    assert fits([8, 2], [], 8) == set() and fits([1, 1], [], 8) == set()


def test_mark_dims_keeps_the_type_text_around_the_mark():
    assert mark_dims("f32[8,4]", [0]) == "f32[⟨8⟩,4]"
    assert mark_dims("f32[3,8,4]", [1]) == "f32[3,⟨8⟩,4]"
    assert mark_dims("f32[]", [0]) == "f32[]"
    assert mark_dims("f32[8]", [3]) == "f32[8]"


def test_a_wrong_axis_is_caught_by_the_check():
    """The check above can fail: answers moved to another axis break it."""
    before, after = vmap_pairs(case_stages("in_axes 1"))[0]
    result = batch_axes(before, after)
    for v in result.values.values():
        v.axes = [1] if v.axes == [0] else v.axes
    with pytest.raises(AssertionError):
        consistent(before, after, result)


def test_a_jit_of_the_vmap_stage_carries_the_same_axes():
    (e,) = [e for e in VMAP_EXAMPLES if "cond" in e.title]
    stages = traced(e.source, e.function, e.args, e.pipeline)
    assert e.pipeline == "vmap | jit" and stage_batch_axes(stages, 0) is None
    vmapped, jitted = stage_batch_axes(stages, 1), stage_batch_axes(stages, 2)
    assert consistent(stages[0], stages[2], jitted) > 0
    assert jitted.counts() == {BATCHED: 14, BROADCAST: 0, UNBATCHED: 0, AMBIGUOUS: 0, UNKNOWN: 0}
    for (nid, port), value in vmapped.values.items():  # e3 there is e0/g0/e3 in the jit's body
        inner = jitted.of(f"e0/g0/{nid}", port)
        assert (inner.kind, inner.axes) == (value.kind, value.axes), nid


def test_a_stage_that_is_not_vmap_has_none():
    stages = case_stages("vmap of grad")
    assert [is_vmap_stage(s) for s in stages] == [False, False, True]


def test_tooltips_and_listing_name_the_axis_and_keep_jax_text():
    before, after = vmap_pairs(case_stages("in_axes (None, 0)"))[0]
    result = batch_axes(before, after)
    model = GraphModel(after.graph, expand_all=True)
    view = model.visible()
    plain = tooltips(model, view)
    tips = with_batch_axes(plain, model, result)
    eqn = next(n for n in after.graph.nodes if n.primitive == "tanh")
    assert tips[eqn.id].startswith(plain[eqn.id])  # JAX's text first, unchanged
    assert "d: f32[⟨8⟩,4]  batch: axis 0 (was f32[4])" in tips[eqn.id]
    assert "batch: none" in tips["in0"]
    lines = listing(result)
    assert lines[0].startswith("batch axes of vmap(f) against f (size 8)")
    assert after.jaxpr.count("f32[8,4]") and "⟨" not in after.jaxpr
