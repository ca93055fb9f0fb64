"""Fewer crossings, the picture of a program's steps: a chain of calls stacks one below the
other, the packer keeps the order the sweeps chose, edges wrapped into columns keep their
order, and on real models our engine crosses no more than dot does."""

import pytest

from jaxviz.core.ir.graph import EQN, INPUT, Edge, Graph, Node, Port
from jaxviz.core.layout.check import _cross, check_layout
from jaxviz.core.layout.engine import LayoutOptions, layout_model
from jaxviz.core.layout.order import packing_order
from jaxviz.core.layout.ranks import ranks, separated_groups
from jaxviz.core.layout.wrap import wrap
from jaxviz.core.model.graph_model import GraphModel
from jaxviz.core.model.groups import ARGUMENT
from tests.core.traced import trace
from tests.data.programs import CONTROL, MLP_NESTED, TRANSFORMER_NESTED


def _model(source, function, args, pipeline, expand=False):
    stages, error = trace(source=source, function=function, args=args, pipeline=pipeline)
    assert error is None, error
    return GraphModel(stages[-1].graph, expand_all=expand)


def _subtree(model, gid):
    return {n for n, node in model.visible().nodes.items()
            if gid in _groups_around(node.cluster, model)}


def _groups_around(gid, model):
    out = set()
    while gid is not None:
        out.add(gid)
        gid = model.groups[gid].parent if gid in model.groups else None
    return out


def test_a_chain_of_layers_stacks_one_below_the_other():
    # An MLP's layers under grad used to stand side by side in a staircase: each layer's
    # last rank was the next one's first. A layer that feeds a sibling now ends above it.
    model = _model(MLP_NESTED, "mlp", "make(4), f32[16,32]", "grad", expand=True)
    layout = layout_model(model, LayoutOptions(wrap=False))
    view = model.visible()
    boxes = {c.id: c for c in layout.clusters}
    members = {gid: _subtree(model, gid) for gid in boxes}
    steps = [g for g in boxes if view.clusters[g].kind != ARGUMENT]  # not the params' box
    flows = {(a, b) for a in steps for b in steps if a != b
             and view.clusters[a].parent == view.clusters[b].parent
             and any(e.src in members[a] and e.dst in members[b] for e in view.edges)}
    assert len(flows) >= 6  # forward 1 → 2 → 3 → 4, backward likewise, and more
    for a, b in flows:
        if (b, a) not in flows:
            assert boxes[a].y + boxes[a].h < boxes[b].y, (boxes[a].label, boxes[b].label)


def _port(name):
    return Port(name, "f32[3]", [3], "float32")


def _eqn(nid, scope):
    return Node(nid, EQN, "sin", primitive="sin", outputs=[_port(nid)], name_stack=scope,
                scopes=[scope])


def test_flows_both_ways_between_groups_keep_every_edge_downwards():
    # a → b → a: no order puts one group wholly below the other; the separation is dropped
    # for them and every edge still runs down.
    nodes = [Node("x", INPUT, "x", outputs=[_port("x")]), _eqn("a1", "a"), _eqn("b1", "b"),
             _eqn("a2", "a"), _eqn("c1", "c")]
    pairs = [("x", "a1"), ("a1", "b1"), ("b1", "a2"), ("a2", "c1")]
    graph = Graph(nodes=nodes, edges=[Edge(s, d, s, 0, 0) for s, d in pairs], name="f")
    view = GraphModel(graph, expand_all=True).visible()
    moved = separated_groups(view, ranks(view))
    assert all(moved[s] < moved[d] for s, d in pairs)
    c_group = view.nodes["c1"].cluster
    a_group = view.nodes["a2"].cluster
    assert c_group != a_group and moved["c1"] > max(moved["a1"], moved["a2"])


def test_the_packer_keeps_the_order_of_every_rank():
    # a block over ranks 0-2 whose mean place is left of a node that its rank 1 puts first:
    # the node goes first, as the sweeps counted it
    items = [(0.1, 0, 2, "block", None), (0.5, 1, 1, "n", None)]
    places = {"block": [(0, 0.0), (1, 0.9), (2, 0.0)], "n": [(1, 0.1)]}
    assert [t[3] for t in packing_order(items, places)] == ["n", "block"]
    # conflicting ranks (a cycle): settled by the key, nothing lost
    places["n"].append((0, 0.5))
    items[1] = (0.5, 0, 1, "n", None)
    assert sorted(t[3] for t in packing_order(items, places)) == ["block", "n"]


def test_edges_wrapped_into_columns_keep_their_order():
    # eight parallel edges down ranks 0..9, the drawing cut at rank 5: their detours under the
    # first column, up the gutter and over the second nest, and none crosses another
    bands = [(r * 50.0, r * 50.0 + 20.0) for r in range(10)]
    routes = [[((x * 10.0, y), r) for r in range(10) for y in bands[r]] for x in range(8)]
    extent = {r: (-5.0, 80.0) for r in range(10)}
    _, moved = wrap(routes, bands, [5], extent)
    segments = [(i, p, q) for i, r in enumerate(moved) for p, q in zip(r, r[1:])]
    crossings = sum(1 for a, (i, p1, p2) in enumerate(segments) for (j, q1, q2) in
                    segments[a + 1:] if i != j and _cross(p1, p2, q1, q2))
    assert crossings == 0


CASES = {
    "control flow grad": (CONTROL, "f", "jnp.ones(3)", "grad", True),
    "mlp ×6 grad": (MLP_NESTED, "mlp", "make(6), f32[16,32]", "grad", False),
    "transformer ×4 grad": (TRANSFORMER_NESTED, "transformer", "make(4), f32[16,32]", "grad",
                            False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_our_drawing_crosses_no_more_than_dot_and_never_lies(name):
    model = _model(*CASES[name])
    ours = check_layout(layout_model(model, LayoutOptions(engine="layered")))
    dots = check_layout(layout_model(model, LayoutOptions(engine="dot")))
    assert ours.crossings <= max(1.3 * dots.crossings, 2), (ours.crossings, dots.crossings)
    assert (ours.edges_through_nodes, ours.node_overlaps, ours.group_overlaps, ours.stubs,
            ours.label_overlaps) == (0, 0, 0, 0, 0)


def test_the_sweeps_count_crossings_exactly():
    # the count that decides which order is kept, against every pair of links
    import random

    from jaxviz.core.layout.order import crossings

    rng = random.Random(7)
    for _ in range(50):
        layers = [[f"{r}.{i}" for i in range(rng.randint(1, 6))] for r in range(4)]
        links = [(rng.choice(a), rng.choice(b)) for a, b in zip(layers, layers[1:])
                 for _ in range(rng.randint(0, 8))]
        downs, index = {}, {n: i for layer in layers for i, n in enumerate(layer)}
        for a, b in links:
            downs.setdefault(a, []).append(b)
        brute = sum(1 for i, (a, b) in enumerate(links) for (c, d) in links[i + 1:]
                    if a.split(".")[0] == c.split(".")[0]
                    and (index[a] - index[c]) * (index[b] - index[d]) < 0)
        assert crossings(layers, downs, index) == brute


def test_an_edge_label_moves_off_a_line_that_runs_through_its_first_spot():
    # the first spot, right of where the edge leaves its node, has another edge running down
    # through it: the label takes the next spot clear of lines (left of the edge)
    from jaxviz.core.layout.geometry import EdgePath, NodeBox
    from jaxviz.core.layout.labels import LABEL_CHAR_W, place_labels

    def box(nid, x, y):
        return NodeBox(nid, x, y, 40, 20, "eqn", [nid], "box", "", "", "", 1.0)

    nodes = {"a": box("a", 100, 0), "b": box("b", 100, 200), "c": box("c", 200, 0),
             "d": box("d", 112, 300)}
    edges = [EdgePath("a", "b", "v", "f32[4,8]", [[100, 10], [100, 190]]),
             EdgePath("c", "d", "w", "", [[200, 10], [200, 15], [112, 16], [112, 290]])]
    place_labels(nodes, edges, vertical=True)
    x, _ = edges[0].label_at
    assert x + len("f32[4,8]") * LABEL_CHAR_W < 100  # left of its own line, off the other
