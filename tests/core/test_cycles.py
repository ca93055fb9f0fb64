"""The cycle-breaking phase: a closed group can make the visible graph cyclic (it holds both
ends of a flow that runs through the outside), and the edge that closes the cycle must be
drawn round the drawing, never through a node."""

import random

from jaxviz.core.layout.check import check_layout
from jaxviz.core.layout.engine import layout_model
from jaxviz.core.layout.ranks import back_edges
from jaxviz.core.model.graph_model import GraphModel

from .factories import chain_graph


def _scoped_chain(n: int, inside: set[int]):
    graph = chain_graph(n)
    for node in graph.nodes:
        if node.id.startswith("e") and int(node.id[1:]) in inside:
            node.name_stack = "s"
    return graph


def _defects(model: GraphModel):
    d = check_layout(layout_model(model), {g: x.parent for g, x in model.groups.items()})
    return d.edges_through_nodes, d.node_overlaps, d.group_overlaps, d.stubs


def test_a_closed_group_round_the_outside_is_drawn_with_a_back_edge_round_the_side():
    graph = _scoped_chain(6, {0, 1, 4, 5})  # e2, e3 run outside, between the group's parts
    closed = GraphModel(graph, open_groups=set())
    view = closed.visible()
    back = [view.edges[i] for i in back_edges(view)]
    assert [(e.src, e.dst) for e in back] == [("e3", "/s:s")]
    assert _defects(closed) == (0, 0, 0, 0)
    layout = layout_model(closed)
    route = next(e.points for e in layout.edges if (e.src, e.dst) == ("e3", "/s:s"))
    right = max(b.x + b.w / 2 for b in layout.nodes.values())
    assert max(x for x, _ in route) > right  # round the side, past every box


def test_an_acyclic_view_has_no_back_edge():
    view = GraphModel(_scoped_chain(6, {0, 1, 4, 5})).visible()
    assert back_edges(view) == set()


def test_random_scattered_groups_closed_draw_no_defect():
    """A property: any scattering of equations into one group, closed, lays out cleanly."""
    draw = random.Random(7)
    for _ in range(25):
        n = draw.randint(3, 14)
        inside = {k for k in range(n) if draw.random() < 0.5}
        graph = _scoped_chain(n, inside)
        for opened in (set(), None):
            model = GraphModel(graph, open_groups=opened)
            assert _defects(model) == (0, 0, 0, 0), (n, sorted(inside), opened)


def test_a_long_drawing_with_a_back_edge_is_not_cut_into_columns_through_it():
    """A drawing long enough to be set in columns: the back edge would run across them."""
    model = GraphModel(_scoped_chain(40, {0, 1, 38, 39}), open_groups=set())
    assert back_edges(model.visible())
    assert _defects(model) == (0, 0, 0, 0)
