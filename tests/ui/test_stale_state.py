"""Every view shows the current state: the stale-state scenarios of a new user, each driven
through the window and every view checked afterwards (the document decides, ``document.py``)."""

from jaxviz.core.examples import read_examples

WAIT = 60_000


def example(title_start):
    return next(e for e in read_examples() if e.title.startswith(title_start))


def action(window, title_start):
    return next(a for a in window.examples_menu.actions() if a.text().startswith(title_start))


def test_a_failing_example_shows_its_error_over_no_old_graph(window, qtbot):
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        action(window, "Matrix multiply under jit").trigger()
    assert window.graph.items_by_id and window.windowTitle().startswith("Matrix multiply")
    with qtbot.waitSignal(window.errorShown, timeout=WAIT):
        action(window, "Python if under jit").trigger()
    assert "jnp.where" in window.errors.text()
    assert window.graph.items_by_id == {}  # no matmul graph under the if's error
    assert window.stage_strip.count() == 0 and window.jaxpr.toPlainText() == ""
    assert window.legend.entries == [] and not window.graph.stale
    assert window.windowTitle().startswith("Python if under jit")
    # the empty canvas says why it is empty, and where to look
    assert window.graph.empty_reason.startswith("No graph yet: the trace failed at line")


def test_an_edit_retires_the_error_marker_at_once_and_after_cancel(window, qtbot):
    window.editor.setPlainText("def f(x):\n    return x +\n")
    with qtbot.waitSignal(window.errorShown, timeout=WAIT):
        window.trace()
    assert window.editor.error_line == 2 and window.errors.isEnabled()
    window.editor.setPlainText("def f(x):\n    return x + 1\n")  # fixed, not traced yet
    assert window.editor.error_line is None  # the line it named may not be there any more
    assert window.errors.isVisible() and not window.errors.isEnabled()
    assert "Before your last edit" in window.errors.text()
    window.cancel()  # the trace the edit scheduled: cancelled, nothing comes back
    assert window.editor.error_line is None and not window.errors.isEnabled()
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.trace()
    assert not window.errors.isVisible() and window.editor.error_line is None
    assert not window.graph.stale


def test_device_results_and_title_follow_the_program(window, qtbot):
    panel = window.devices
    window.pipeline.set_text("")
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                          check_params_cb=lambda req, resp: type(req).__name__ == "BenchRequest"):
        panel.bench_btn.click()
    assert "eager" in panel.bench_text.text() and panel.chart.rows
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        action(window, "Matrix multiply under jit").trigger()
    assert panel.bench_text.text() == "" and panel.chart.rows == []  # not this program's
    assert panel.pmap_out.toPlainText() == ""
    assert window.windowTitle() == "Matrix multiply under jit — jaxviz"
    window.editor.appendPlainText("\n\ndef mine(x):\n    return x\n")
    assert window.windowTitle() == "untitled (from Matrix multiply under jit) — jaxviz"


def test_a_device_error_marks_no_line_of_the_code(window, qtbot):
    window.pipeline.set_text("")
    window.args.setText("f32[3]")  # abstract: fine to trace, cannot run
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                          check_params_cb=lambda req, resp: type(req).__name__ == "BenchRequest"):
        window.devices.bench_btn.click()
    assert "running needs values" in window.devices.bench_text.text()
    assert window.editor.error_line is None and not window.errors.isVisible()


def test_the_graph_of_the_last_good_trace_is_marked_while_the_code_fails(window, qtbot):
    assert window.graph.items_by_id
    window.editor.setPlainText("def f(x):\n    return undefined_name * x\n")
    with qtbot.waitSignal(window.errorShown, timeout=WAIT):
        window.trace()
    assert window.graph.items_by_id and window.graph.stale  # kept, greyed, with its banner
    assert window.editor.error_line == 2
