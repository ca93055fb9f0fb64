"""The desktop app, driven offscreen as a user would drive it."""

import xml.etree.ElementTree as ET

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.data import samples as s

WAIT = 60_000


def trace_code(window, qtbot, source, function, args, pipeline):
    window.editor.setPlainText(source)
    window.function.setCurrentText(function)
    window.args.setText(args)
    window.pipeline.set_text(pipeline)
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_opens_on_the_polynomial_under_grad(window):
    assert window.function.currentText() == "f"
    assert [st.title for st in window.set.stages] == ["f", "grad(f)"]
    assert window.stage_strip.tabText(1) == "grad(f) · 18"
    assert window.set.current == 1  # the last stage is shown
    assert len(window.graph.items_by_id) == 20  # 18 equations, 1 input, 1 output


def test_type_trace_select_node_shows_its_line(window, qtbot):
    source = "def g(x):\n    y = jnp.sin(x)\n    z = y * 2.0\n    return z.sum()\n"
    trace_code(window, qtbot, source, "g", "jnp.ones(3)", "")
    item = next(i for i in window.graph.items_by_id.values() if i.box.lines[0] == "sin")
    window.graph.centerOn(item)
    point = window.graph.mapFromScene(item.scenePos())
    qtbot.mouseClick(window.graph.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.graph.selected_ids() == [item.node_id]
    assert window.editor.focus_line == 2
    assert "sin" in window.details.toPlainText()
    assert "= sin" in window.jaxpr.textCursor().block().text()
    # and back: a click on line 3 of the editor selects the mul
    window.selector.on_editor_line(3)
    assert [window.graph.items_by_id[i].box.lines[0] for i in window.graph.selected_ids()] \
        == ["mul"]


def test_double_click_opens_and_closes_a_group(window, qtbot):
    trace_code(window, qtbot, s.MATMUL.source, "matrix_mul", s.MATMUL.args, "jit")
    assert "e0" not in window.graph.items_by_id  # small: open by default, drawn as a cluster
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.drawing.toggle_group("e0")
    group = window.graph.items_by_id["e0"]
    assert group.box.kind == "group" and "1 eqn" in group.box.lines[1]
    point = window.graph.mapFromScene(group.scenePos())
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        qtbot.mouseDClick(window.graph.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert "e0" not in window.graph.items_by_id
    assert "e0/g0/e0" in window.graph.items_by_id  # the dot_general inside


def test_search_steps_through_matches(window, qtbot):
    qtbot.keyClicks(window.search, "integer_pow")
    assert window.search_count.text() == "3 matches"
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    (first,) = window.graph.selected_ids()
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    (second,) = window.graph.selected_ids()
    assert first != second
    assert all("integer_pow" in window.graph.items_by_id[i].box.lines[0]
               for i in (first, second))


def test_export_from_the_app(window, qtbot, tmp_path):
    target = tmp_path / "grad.svg"
    with qtbot.waitSignal(window.exported, timeout=WAIT):
        window.files.export_to(str(target))
    root = ET.parse(target).getroot()
    assert root.tag.endswith("svg")
    with qtbot.waitSignal(window.exported, timeout=WAIT):
        window.files.export_to(str(tmp_path / "all.png"), all_stages=True)
    assert sorted(p.name for p in tmp_path.glob("all_*.png")) == ["all_0.png", "all_1.png"]


def test_error_shows_in_panel_and_app_stays_usable(window, qtbot):
    window.editor.setPlainText("def f(x):\n    return x +\n")
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT):
        window.trace()
    assert window.errors.isVisible()
    assert "line 2" in window.errors.text()
    assert window.editor.error_line == 2
    assert window.editor.toPlainText() == "def f(x):\n    return x +\n"  # never lost
    trace_code(window, qtbot, "def f(x):\n    return x + 1\n", "f", "1.0", "grad")
    assert not window.errors.isVisible() and window.editor.error_line is None


def test_tracer_error_names_the_fix(window, qtbot):
    window.editor.setPlainText(s.IF_UNDER_JIT.source)
    window.args.setText("10.0")
    window.pipeline.set_text("jit")
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT):
        window.trace()
    assert "jnp.where" in window.errors.text()


def test_infinite_loop_can_be_cancelled(window, qtbot):
    window.editor.setPlainText("def f(x):\n    while True:\n        pass\n")
    window.trace()
    qtbot.waitUntil(lambda: window.cancel_btn.isVisible(), timeout=WAIT)
    qtbot.mouseClick(window.cancel_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.tracer.busy, timeout=WAIT)
    trace_code(window, qtbot, s.POLYNOMIAL.source, "f", "2.0", "grad")
    assert len(window.set.stages) == 2


def test_autosave_restores_after_a_kill(make_window, qtbot, jaxviz_home):
    first = make_window()
    text = "def mine(x):\n    return x * 3.0  # typed by the user\n"
    first.editor.setPlainText(text)
    first.args.setText("1.5")
    session_file = jaxviz_home / "session.json"
    qtbot.waitUntil(lambda: session_file.exists() and "typed by the user"
                    in session_file.read_text(), timeout=5000)
    # no closeEvent: the process is gone as after a kill; a new window restores
    second = make_window(no_restore=False)
    assert second.editor.toPlainText() == text
    assert second.function.currentText() == "mine"
    assert second.args.text() == "1.5"


def test_examples_menu_loads_and_traces(window, qtbot):
    titles = [a.text() for a in window.examples_menu.actions()]
    assert "Windowed mean under vmap" in titles and "MLP loss under grad" in titles
    action = next(a for a in window.examples_menu.actions() if a.text() ==
                  "Windowed mean under vmap")
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        action.trigger()
    out = [n for n in window.set.stages[-1].graph.nodes if n.kind == "output"][0]
    assert out.outputs[0].type == "f32[8,3]"


def test_diff_mode_side_by_side_in_sync_and_stepping(window, qtbot):
    trace_code(window, qtbot, s.POLYNOMIAL.source, "f", "2.0", "grad | jit")
    with qtbot.waitSignal(window.diffShown, timeout=WAIT):
        window.stage_strip.setCurrentIndex(1)
        qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    panel = window.diff_panel
    assert window.drawing.diff_mode() and panel.title.text() == "f  →  grad(f)"
    assert "+10" in panel.summary.text() and "=8" in panel.summary.text()
    marks = sorted(i.box.lines[0][0] for i in panel.after.items_by_id.values()
                   if i.box.kind == "eqn")
    assert marks.count("+") == 10 and marks.count("=") == 8
    # selecting an equation on the left selects its counterpart on the right
    pair = next(p for p in panel.diff.pairs if p.cls == "unchanged")
    panel.before.items_by_id[pair.before].setSelected(True)
    assert panel.after.selected_ids() == [pair.after]
    # next transformation: grad → jit is a wrap, body unchanged
    with qtbot.waitSignal(window.diffShown, timeout=WAIT):
        qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert panel.title.text() == "grad(f)  →  jit(grad(f))"
    assert "body is unchanged" in panel.summary.text()
    assert not panel.next_btn.isEnabled()
    with qtbot.waitSignal(window.diffShown, timeout=WAIT):
        panel.prev_btn.click()
    assert panel.title.text() == "f  →  grad(f)"


def test_a_state_laid_out_before_comes_from_the_cache(window, qtbot, monkeypatch):
    trace_code(window, qtbot, s.MATMUL.source, "matrix_mul", s.MATMUL.args, "jit")
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.drawing.toggle_group("e0")  # closed: a new state, laid out in the worker
    sent = []
    monkeypatch.setattr(window.layouter, "submit", sent.append)
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.drawing.toggle_group("e0")  # open again: the state the trace came with
    assert sent == [] and "e0/g0/e0" in window.graph.items_by_id


def test_esc_with_nothing_running_says_nothing(window, qtbot):
    trace_code(window, qtbot, s.POLYNOMIAL.source, "f", "2.0", "grad")
    window.statusBar().showMessage("")
    window.cancel()
    assert "Cancelled" not in window.statusBar().currentMessage()
    assert len(window.set.stages) == 2  # the shown trace stays


def test_new_or_an_example_never_loses_typed_code(window, qtbot):
    typed = "def mine(x):\n    return x * 7.0  # typed, never saved\n"
    window.editor.setPlainText(typed)
    window.document.edited = True
    window.files.new_file()
    assert window.editor.toPlainText() != typed
    assert "Ctrl+Z" in window.statusBar().currentMessage()
    window.editor.undo()
    assert window.editor.toPlainText() == typed


def test_both_sides_of_a_diff_open_on_the_drawings_top_left(window, qtbot):
    """Neither side starts panned to its own first equation, cutting the inputs off."""
    from jaxviz.core.examples import read_examples

    window.resize(1280, 800)
    example = next(e for e in read_examples() if e.title.startswith("MLP loss"))
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.files.load_example(example)
    with qtbot.waitSignal(window.diffShown, timeout=WAIT):
        window.diff_button.setChecked(True)
    QApplication.processEvents()
    for view in (window.diff_panel.before, window.diff_panel.after):
        corner = view.mapToScene(0, 0)
        shown = view.mapToScene(view.viewport().rect()).boundingRect()
        assert shown.contains(view.scene().sceneRect()) or \
            (abs(corner.x() + 40) < 4 and abs(corner.y() + 40) < 4), (corner, shown)
