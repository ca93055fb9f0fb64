"""Navigation as in Netron and Model Explorer: search reaches equations inside closed groups
and opens them, arrow keys walk the edges, groups open and close all at once."""

from pathlib import Path

from PySide6.QtCore import Qt

from tests.ui.test_main_window import WAIT, trace_code

TRANSFORMER = (Path(__file__).parents[2] / "resources" / "examples" /
               "11_transformer_grad.py").read_text()


def _closed_groups(window):
    model = window.set.models[window.set.current]
    return [g for g in model.groups if g not in model.open]


def test_search_finds_equations_in_closed_groups_and_opens_them(window, qtbot):
    trace_code(window, qtbot, TRANSFORMER, "transformer", "make(12), f32[16,32]", "")
    assert _closed_groups(window)
    qtbot.keyClicks(window.search, "exp")  # softmax's exp: inside every (closed) block
    assert "closed" in window.search_count.text()
    assert "in closed groups: Enter opens them" in window.search_count.toolTip()
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(window.graph.matches), timeout=WAIT)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    selected = window.graph.selected_ids()
    assert selected and window.set.nodes[window.set.current][selected[0]].primitive == "exp"


def test_arrow_keys_walk_the_edges(window, qtbot):
    nodes = window.set.nodes[window.set.current]
    first = next(n.id for n in nodes.values() if n.kind == "eqn" and n.primitive == "integer_pow")
    window.graph.select_nodes([first])
    window.graph.setFocus()
    qtbot.keyClick(window.graph, Qt.Key.Key_Up)
    assert window.graph.selected_ids() == ["in0"]  # what it uses: the input x
    qtbot.keyClick(window.graph, Qt.Key.Key_Down)
    down = window.graph.selected_ids()
    assert down and down[0] != "in0" and window.details.isVisible() is not None


def test_close_and_open_all_groups(window, qtbot):
    trace_code(window, qtbot, TRANSFORMER, "transformer", "make(3), f32[16,32]", "")
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.selector.close_all_groups()
    model = window.set.models[window.set.current]
    assert model.open == set()
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.drawing.open_all_groups()
    assert model.open == set(model.groups)


def test_view_opens_to_a_depth_as_the_cli_does(window, qtbot):
    trace_code(window, qtbot, TRANSFORMER, "transformer", "make(3), f32[16,32]", "")
    model = window.set.models[window.set.current]
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    depth_menu = next(a.menu() for a in view.actions() if a.text() == "Open to &depth")
    top_level_only = depth_menu.actions()[0]
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        top_level_only.trigger()
    assert model.open == model.open_to_depth(0)
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        depth_menu.actions()[1].trigger()
    assert model.open == {g.id for g in model.groups.values() if g.depth <= 1
                          or g.kind == "subgraph" and g.depth <= 2}
    assert model.open != model.open_to_depth(0)


NESTED_CALLS = ("def layer(w, x):\n    return jnp.tanh(x @ w)\n\n"
                "def loss(w, x):\n    return jnp.sum(layer(w, x))\n")

def test_view_group_by_jax_nesting_regroups_every_stage(window, qtbot):
    from jaxviz.core.model.groups import FUNCTION

    trace_code(window, qtbot, NESTED_CALLS, "loss", "jnp.ones((4, 4)), jnp.ones((2, 4))",
               "grad")
    assert any(g.kind == FUNCTION for g in window.set.models[1].groups.values())
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.nesting_action.trigger()
    assert not any(g.kind == FUNCTION for g in window.set.models[1].groups.values())
    assert window.set.key(1).endswith("/jax")  # the layout worker builds its model anew
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.nesting_action.trigger()
    assert any(g.kind == FUNCTION for g in window.set.models[1].groups.values())
