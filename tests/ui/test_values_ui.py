"""Run → Find first NaN or Inf in the window: the equation that made it is opened, selected
and shown with its values; an evaluation's values follow the selection in Details."""

from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from tests.ui.test_main_window import WAIT, trace_code

NAN = ("def layer(w, x):\n    return jnp.tanh(x @ w)\n\n"
       "def loss(w, x):\n    h = layer(w, x)\n    return jnp.sum(jnp.log(h + 1.0))\n")


def _answered(window, qtbot, action):
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                          check_params_cb=lambda req, resp: type(req).__name__ ==
                          "ValuesRequest"):
        action()


def test_find_first_nan_selects_the_equation_and_shows_its_values(window, qtbot):
    trace_code(window, qtbot, NAN, "loss", "jnp.ones((4, 4)) * -10.0, jnp.ones((2, 4))",
               "grad")
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):  # drawn again, the groups open
        _answered(window, qtbot, window.values.find_first_nonfinite)
    message = window.statusBar().currentMessage()
    assert message.startswith("First NaN/Inf: `log` of all zeros at line 6"), message
    selected = window.graph.selected_ids()
    node = window.set.nodes[window.set.current][selected[0]]
    assert node.primitive == "log" and node.line == 6
    details = window.details.toPlainText()
    assert "Values" in details and "8 -inf" in details
    assert "First NaN or Inf made here" in details and "operand 0: float32[2, 4]" in details
    assert window.side.currentWidget() is window.details


def test_after_an_evaluation_details_give_a_nodes_values_until_an_edit(window, qtbot):
    trace_code(window, qtbot, "def f(x):\n    return jnp.sin(x) * 2.0\n", "f",
               "jnp.array([0.0, 1.0])", "")
    _answered(window, qtbot, window.values.evaluate)
    assert "no NaN or Inf" in window.statusBar().currentMessage()
    nodes = window.set.nodes[window.set.current]
    sin = next(n.id for n in nodes.values() if n.primitive == "sin")
    window.selector.select_ir_nodes([sin])
    assert "[0.0, 0.8414" in window.details.toPlainText()
    window.args.setText("jnp.array([2.0, 3.0])")
    window.args.textEdited.emit("jnp.array([2.0, 3.0])")  # values of other inputs: gone
    window.selector.select_ir_nodes([sin])
    assert "Values" not in window.details.toPlainText()


def test_an_edges_hover_text_gives_its_ends_and_what_it_held(window, qtbot):
    from jaxviz.ui.graph_items import EdgeItem

    trace_code(window, qtbot, "def f(x):\n    y = jnp.sin(x)\n    return y * 2.0\n", "f",
               "jnp.array([0.0, 1.0])", "")
    edges = {i.edge.var: i for i in window.graph.scene().items() if isinstance(i, EdgeItem)}
    tip = window.graph.edge_tip(edges["b"].edge)
    assert tip.startswith("<b>b</b>: f32[2]<br>from b = sin to c = mul")
    _answered(window, qtbot, window.values.evaluate)
    assert "[0.0, 0.8414" in window.graph.edge_tip(edges["b"].edge)  # sin's result, as it ran
    rect = edges["b"].boundingRect()
    assert not edges["b"].shape().contains(rect.topLeft())  # only near its line
    _hover(window.graph, edges["b"])
    assert "[0.0, 0.8414" in QToolTip.text()


def _hover(view, edge_item) -> None:
    """A tooltip event at the middle of the edge's first segment, as a resting mouse sends."""
    (x0, y0), (x1, y1) = edge_item.edge.points[:2]
    at = view.mapFromScene(QPointF((x0 + x1) / 2, (y0 + y1) / 2))
    event = QHelpEvent(QEvent.Type.ToolTip, at, view.viewport().mapToGlobal(at))
    QApplication.sendEvent(view.viewport(), event)




def test_colour_values_paints_the_nan_red_and_the_rest_by_magnitude(window, qtbot):
    from jaxviz.core.export.overlay import NONFINITE

    trace_code(window, qtbot, NAN, "loss", "jnp.ones((4, 4)) * -10.0, jnp.ones((2, 4))",
               "grad")
    _answered(window, qtbot, window.values.evaluate)
    row = window.colour_by.findData("values")
    assert window.colour_by.model().item(row).isEnabled()  # on offer once evaluated
    window.colour_by.setCurrentIndex(row)
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.colour_by.activated.emit(row)
    layout = window.graph.layout_data
    reds = [b for b in layout.nodes.values() if b.fill == NONFINITE]
    assert reds and layout.overlay["entries"][-1] == ["NaN or Inf", NONFINITE]


def test_an_example_file_opened_alone_runs_its_own_call_and_its_nan_is_found(window, qtbot):
    """File → Open (or ``jaxviz FILE``) on an example: its header's function, arguments and
    pipeline; Find first NaN then names sqrt's derivative at the line of ``length``."""
    from pathlib import Path

    example = Path(__file__).parents[2] / "resources" / "examples" / "21_find_the_nan.py"
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.files.open_file(str(example))
    assert (window.function.currentText(), window.pipeline.pipeline()) == ("loss", "grad")
    assert window.args.text() == "make([8, 16, 4, 3]), f32[32,8]"
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        _answered(window, qtbot, window.values.find_first_nonfinite)
    assert "at line 20 gave 24 +inf" in window.statusBar().currentMessage()


def test_compare_values_in_diff_mode_gives_both_sides_numbers(window, qtbot):
    trace_code(window, qtbot, "def f(x):\n    return jnp.tanh(jnp.exp(x) * 3.0).sum(0)\n", "f",
               "f32[8,4]", "jit")
    _answered(window, qtbot, window.values.compare)  # before diff mode: kept for it
    with qtbot.waitSignal(window.diffShown, timeout=WAIT):
        window.diff_action.trigger()
    text = window.diff_panel.compared.text()
    assert window.diff_panel.compared.isVisible() and "against f:" in text
    assert "output 0: max |difference| 0" in text
    assert "4 of 4 paired equations" in text  # exp, mul, tanh, reduce_sum
    assert window.statusBar().currentMessage().startswith("jit(f) against f: largest output")
    window.args.setText("f32[8,5]")
    window.args.textEdited.emit("f32[8,5]")  # an edit: the stages shown are not of it
    window.values.compare()
    assert window.statusBar().currentMessage().startswith("Trace first")


def test_a_loop_equations_details_give_each_iteration():
    from jaxviz.ui.panels import iterations_html

    rows = [{"i": i, "absmax": float(i), "nonfinite": int(i >= 7)} for i in range(10)]
    text = iterations_html(rows, 10)
    assert "NaN or Inf from iteration 7" in text and "!!!" in text
    assert "(the first 10 of 50)" in iterations_html(rows, 50)  # more ran than were kept


def test_on_a_vmap_stage_an_edges_hover_text_marks_the_batch_axis(window, qtbot):
    from jaxviz.ui.graph_items import EdgeItem

    trace_code(window, qtbot, "def f(w, x):\n    y = jnp.sin(x) * w\n    return y.sum()\n", "f",
               "jnp.ones(3), jnp.ones((8, 3))", "vmap(in_axes=(None, 0))")
    tips = [window.graph.edge_tip(i.edge) for i in window.graph.scene().items()
            if isinstance(i, EdgeItem)]
    assert any("f32[⟨8⟩,3]" in t and "batch: axis 0 (was f32[3])" in t for t in tips), tips
