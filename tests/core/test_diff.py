"""Structural diffs of the tutorial's examples, pinned."""

from collections import Counter

from jaxviz.core.diff.stages import diff_stages, is_wrapped
from jaxviz.core.diff.view import decorate, diff_html, text_diff
from jaxviz.core.layout.engine import layout_model
from jaxviz.core.model.graph_model import GraphModel
from tests.core.traced import trace
from tests.data import samples as s


def diffs(sample, pipeline=None, args=None):
    stages, error = trace(sample, pipeline=pipeline, args=args)
    assert error is None, error
    return [diff_stages(a, b) for a, b in zip(stages, stages[1:])], stages


def test_polynomial_to_grad_keeps_all_8_and_adds_10():
    (d,), stages = diffs(s.POLYNOMIAL)
    assert d.counts == {"unchanged": 8, "changed": 0, "added": 10, "removed": 0}
    before_ids = {n.id for n in stages[0].graph.nodes if n.kind == "eqn"}
    assert {p.before for p in d.pairs if p.cls == "unchanged"} == before_ids
    # each forward equation is paired with the same equation, not just any equal text
    by_id = {n.id: n for n in stages[1].graph.walk_nodes()}
    for p in d.pairs:
        if p.cls == "unchanged":
            a = next(n for n in stages[0].graph.nodes if n.id == p.before)
            assert (a.primitive, a.line, a.column) == (by_id[p.after].primitive,
                                                      by_id[p.after].line, by_id[p.after].column)
    added = [by_id[p.after] for p in d.pairs if p.cls == "added"]
    assert sum("transpose(" in n.name_stack for n in added) == 7
    assert "7 in the backward (transpose) pass" in d.summary


def test_grad_to_jit_is_wrapped_with_body_unchanged():
    (_, d), _ = diffs(s.POLYNOMIAL, pipeline="grad | jit")
    assert is_wrapped(d)
    assert d.counts == {"unchanged": 18, "changed": 0, "added": 0, "removed": 0}
    assert len(d.wrappers) == 1
    assert "body is unchanged (18 equations)" in d.summary


def test_windowed_mean_under_vmap_changes_shapes():
    (d,), _ = diffs(s.WINDOWED_MEAN)
    assert d.counts["changed"] == 16 and d.counts["added"] == d.counts["removed"] == 0
    shapes = {(p.primitive, p.before_type, p.after_type) for p in d.pairs}
    assert ("add", "f32[3]", "f32[8,3]") in shapes
    assert ("broadcast_in_dim", "f32[1]", "f32[8,1]") in shapes


def test_vmap_with_an_unbatched_argument_inserts_broadcasts():
    (d,), _ = diffs(s.WINDOWED_MEAN, pipeline="vmap(in_axes=(None, 0))",
                    args="a, jnp.stack([b] * 8)")
    added = Counter(p.primitive for p in d.pairs if p.cls == "added")
    assert added["broadcast_in_dim"] >= 1
    assert "broadcast_in_dim" in d.summary


def test_pmap_stage_wraps_in_jit_and_shard_map():
    (d,), stages = diffs(s.PMAP_MATMUL)
    prims = [n.primitive for n in stages[1].graph.walk_nodes() if n.id in d.wrappers]
    assert prims == ["jit", "shard_map"]
    assert d.counts["removed"] == 0
    assert Counter(p.primitive for p in d.pairs if p.cls == "added") == {
        "squeeze": 2, "broadcast_in_dim": 1}
    assert [p.primitive for p in d.pairs if p.before] == ["dot_general"]


def test_nested_control_flow_under_vmap():
    (d,), _ = diffs(s.COND)
    removed = [p.primitive for p in d.pairs if p.cls == "removed"]
    assert removed == ["cond"]  # both branches are inlined, and selected between
    assert {p.primitive for p in d.pairs if p.cls == "changed"} >= {"sin", "cos", "mul"}
    assert "select_n" in [p.primitive for p in d.pairs if p.cls == "added"]
    assert "both branches now run" in d.summary


def test_scan_under_vmap_recurses_into_the_body():
    (d,), _ = diffs(s.SCAN, pipeline="vmap", args="jnp.ones((3, 5))")
    scan = [p for p in d.pairs if p.primitive == "scan"]
    assert scan and scan[0].cls == "changed"
    inner = [p for p in d.pairs if p.before and "/g0/" in p.before]
    assert inner and all(p.cls in ("changed", "unchanged") for p in inner)


def test_decorated_layout_and_html_page():
    (d,), stages = diffs(s.POLYNOMIAL)
    layout = decorate(layout_model(GraphModel(stages[1].graph)), d.classes_after())
    marks = Counter(b.lines[0][0] for b in layout.nodes.values() if b.kind == "eqn")
    assert marks == {"+": 10, "=": 8}
    page = diff_html(d, b"<svg/>", b"<svg/>", stages[0].jaxpr, stages[1].jaxpr)
    assert "f → grad(f)" in page and "+ 10 added" in page
    assert any(k == "+" for k, _ in text_diff(stages[0].jaxpr, stages[1].jaxpr))


def test_the_text_diff_pairs_lines_whose_variables_were_renamed():
    """One equation more renames every later variable: its lines are unchanged, not removed
    and added again (the graph's summary says 0 removed, and so must the text)."""
    from jaxviz.core.diff.view import text_diff

    before = ("{ lambda ; a:f32[]. let\n    b:f32[] = sin a\n    c:f32[] = mul b 2.0:f32[]\n"
              "    d:f32[] = add c a\n  in (d,) }")
    after = ("{ lambda ; a:f32[]. let\n    b:f32[] = cos a\n    c:f32[] = sin a\n"
             "    d:f32[] = mul c 2.0:f32[]\n    e:f32[] = add d a\n  in (e,) }")
    lines = text_diff(before, after)
    assert [t for k, t in lines if k == "-"] == []
    assert [t for k, t in lines if k == "+"] == ["+    b:f32[] = cos a"]
