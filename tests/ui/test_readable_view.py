"""The first view reads: labels at least 9 px tall, the legend beside the graph listing only
what is drawn, the view refitted on resize until the user zooms or pans."""

from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.data import samples as s
from tests.ui.test_main_window import WAIT, trace_code

MLP6 = (Path(__file__).parents[2] / "resources" / "examples" / "10_deep_mlp_grad.py").read_text()


def test_a_big_graph_opens_readable_at_its_top(window, qtbot):
    window.resize(1280, 800)  # the smallest screen the window is made for
    trace_code(window, qtbot, MLP6, "mlp", "make(6), f32[16,32]", "grad")
    assert window.graph.scale_factor() >= 0.9  # labels 10 px at scale 1: at least 9 px
    shown = window.graph.mapToScene(window.graph.viewport().rect()).boundingRect()
    inside = [i.box for i in window.graph.items_by_id.values()
              if shown.contains(i.sceneBoundingRect())]
    assert {"input", "eqn"} <= {b.kind for b in inside}  # its inputs and first equations...
    assert min(b.y for b in inside) == min(i.box.y for i in window.graph.items_by_id.values())
    window.graph.fit()  # F still shows it all...
    assert window.graph.scale_factor() < 0.9
    QApplication.processEvents()  # ...also once the scroll bars' going resized the view
    shown = window.graph.mapToScene(window.graph.viewport().rect()).boundingRect()
    assert shown.contains(window.graph.scene().sceneRect().adjusted(2, 2, -2, -2))
    window.resize(1240, 780)
    QApplication.processEvents()
    assert window.graph.scale_factor() < 0.9  # fitted again, not back at its readable top


def test_a_small_graph_is_fitted_and_refitted_on_resize(window, qtbot):
    window.resize(1900, 1100)
    trace_code(window, qtbot, s.POLYNOMIAL.source, "f", "2.0", "grad")
    before = window.graph.scale_factor()
    window.resize(1000, 760)
    qtbot.waitUntil(lambda: window.graph.scale_factor() < before, timeout=WAIT)
    window.graph.zoom_in()  # the user zoomed: a resize keeps the view from now on
    zoomed = window.graph.scale_factor()
    window.resize(window.width() + 200, window.height() + 100)
    QApplication.processEvents()  # the resize events, delivered
    assert window.graph.scale_factor() == zoomed


def test_the_legend_lists_only_what_is_drawn_beside_the_graph(window, qtbot):
    trace_code(window, qtbot, s.POLYNOMIAL.source, "f", "2.0", "grad")
    names = [text for text, _ in window.legend.entries]
    assert "backward pass (transpose)" in names and "input" in names
    assert not any(n.startswith("closed group") or n in ("reduction", "constant")
                   for n in names)
    legend, graph = window.legend.geometry(), window.graph.geometry()
    assert not legend.intersects(graph)  # beside it, never over it


def test_a_minimap_shows_where_the_view_is_on_a_big_graph(window, qtbot):
    from PySide6.QtCore import QPoint, Qt

    window.resize(1900, 1100)
    trace_code(window, qtbot, s.POLYNOMIAL.source, "f", "2.0", "grad")
    assert not window.minimap.isVisible()  # it fits: nothing to find your way in
    trace_code(window, qtbot, MLP6, "mlp", "make(6), f32[16,32]", "grad")
    assert window.minimap.isVisible()
    before = window.graph.mapToScene(window.graph.viewport().rect().center())
    qtbot.mouseClick(window.minimap, Qt.MouseButton.LeftButton,
                     pos=QPoint(window.minimap.width() - 5, window.minimap.height() - 5))
    after = window.graph.mapToScene(window.graph.viewport().rect().center())
    assert after.y() > before.y()  # the view went down to where the click was


def test_enter_indents_after_a_colon_and_file_new_starts_a_module(window, qtbot):
    from PySide6.QtCore import Qt

    window.editor.setPlainText("")
    qtbot.keyClicks(window.editor, "def g(x):")
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(window.editor, "return x")
    assert window.editor.toPlainText() == "def g(x):\n    return x"
    window.files.new_file()
    assert window.function.currentText() == "f" and window.session.file == ""
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.trace()
    assert [st.title for st in window.set.stages][0] == "f"


def test_no_line_of_code_is_cut_at_1280(window, qtbot):
    """The editor's column is narrow at 1280 px: long lines wrap (View → Wrap long lines)."""
    window.resize(1280, 800)
    window.editor.setPlainText("def f(x):\n    return " + " + ".join(["jnp.sin(x)"] * 12) + "\n")
    QApplication.processEvents()
    assert window.editor.horizontalScrollBar().maximum() == 0
    window.wrap_action.trigger()  # off: the line scrolls sideways instead
    QApplication.processEvents()
    assert window.editor.horizontalScrollBar().maximum() > 0
