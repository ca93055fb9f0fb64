"""What had no test: the worker service (newest wins, cancel, progress), the pipeline editor,
the View menu's toggles. Waits are on signals, actions are clicks and triggers."""

import time

from PySide6.QtCore import Qt

from jaxviz.ui.services import WorkerService
from jaxviz.worker import protocol as p
from jaxviz.worker.client import WorkerClient

WAIT = 60_000
SLOW = "import time\ntime.sleep({s})\ndef f(x):\n    return x * {k}.0\n"


def service(qtbot):
    svc = WorkerService(WorkerClient(preload_jax=False, timeout=60))
    svc.start()
    return svc


def trace_request(source: str, pipeline: str = "") -> p.TraceRequest:
    return p.TraceRequest(source=source, function="f", args="1.0", pipeline=pipeline)


def test_the_newest_request_of_a_kind_wins(qtbot):
    svc = service(qtbot)
    finished = []
    svc.finished.connect(lambda req, resp: finished.append(req.source))
    try:
        with qtbot.waitSignal(svc.idle, timeout=WAIT):
            for k in range(3):  # the first runs; the second is queued, then replaced
                svc.submit(trace_request(SLOW.format(s=0.3, k=k)))
        assert finished[-1] == SLOW.format(s=0.3, k=2)
        assert SLOW.format(s=0.3, k=1) not in finished  # replaced before it ran
    finally:
        svc.shutdown()


def test_cancel_stops_the_running_request(qtbot):
    svc = service(qtbot)
    try:
        with qtbot.waitSignal(svc.started, timeout=WAIT):
            svc.submit(trace_request("def f(x):\n    while True:\n        pass\n"))
        with qtbot.waitSignal(svc.failed, timeout=WAIT) as blocker:
            svc.cancel()
        assert blocker.args[1].kind == "cancelled"
        with qtbot.waitSignal(svc.finished, timeout=WAIT):  # and it serves the next one
            svc.submit(trace_request("def f(x):\n    return x\n"))
    finally:
        svc.shutdown()


def test_a_cancel_before_the_request_reaches_the_worker_is_not_lost(qtbot):
    # Esc just after "Tracing" shows: the service's thread may not have sent the request yet
    # (here held back on purpose). That cancel used to be forgotten, and the endless loop ran
    # until the timeout.
    svc = service(qtbot)
    start = svc.client.start

    def slow_start():
        time.sleep(0.5)
        start()

    svc.client.start = slow_start
    try:
        with qtbot.waitSignal(svc.started, timeout=WAIT):
            svc.submit(trace_request("def f(x):\n    while True:\n        pass\n"))
        with qtbot.waitSignal(svc.failed, timeout=20_000) as blocker:
            svc.cancel()
        assert blocker.args[1].kind == "cancelled"
        with qtbot.waitSignal(svc.finished, timeout=WAIT):
            svc.submit(trace_request("def f(x):\n    return x\n"))
    finally:
        svc.shutdown()


def test_long_work_reports_progress_stage_by_stage(qtbot):
    svc = service(qtbot)
    messages = []
    svc.progress.connect(lambda message, fraction: messages.append((message, fraction)))
    try:
        with qtbot.waitSignal(svc.finished, timeout=WAIT):
            svc.submit(trace_request("def f(x):\n    return x * x\n", "grad | grad"))
        traced = [m for m, _ in messages if m.startswith("tracing")]
        assert traced == ["tracing f", "tracing grad(f)", "tracing grad(grad(f))"]
        fractions = [f for m, f in messages if m.startswith("tracing")]
        assert fractions == sorted(fractions) and fractions[0] == 0.0
    finally:
        svc.shutdown()


def test_the_pipeline_editor_builds_what_it_shows(window, qtbot):
    editor = window.pipeline
    editor.set_text("grad")
    vmap = next(a for a in editor.add_menu.actions() if a.text() == "vmap")
    vmap.trigger()
    assert editor.pipeline() == "grad | vmap"
    editor.list.setCurrentRow(1)
    qtbot.mouseClick(editor.left_btn, Qt.MouseButton.LeftButton)
    assert editor.pipeline() == "vmap | grad"
    editor.list.setCurrentRow(0)
    editor.options.setText("in_axes=(0, None)")
    editor.options.editingFinished.emit()
    assert editor.pipeline() == "vmap(in_axes=(0, None)) | grad"
    qtbot.mouseClick(editor.remove_btn, Qt.MouseButton.LeftButton)
    assert editor.pipeline() == "grad"
    compile_ = next(a for a in editor.add_menu.actions() if a.text() == "compile")
    compile_.trigger()
    assert editor.pipeline() == "grad | compile"
    editor.text.setText("compile | grad")  # a misplaced step: said where it goes
    assert editor.status.isVisibleTo(editor) and "after every transform" in editor.status.text()
    editor.presets.setCurrentIndex(editor.presets.findText("grad | vmap | jit"))
    editor.presets.activated.emit(editor.presets.currentIndex())
    assert editor.pipeline() == "grad | vmap | jit" and not editor.status.isVisibleTo(editor)


def test_view_menu_toggles_lay_out_again_as_asked(window, qtbot):
    layout = window.set.layouts[window.set.current]
    assert any(e.label_at for e in layout.edges)  # types written on the edges
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.labels_action.trigger()
    assert not any(e.label_at for e in window.set.layouts[window.set.current].edges)
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.lr_action.trigger()
    new = window.set.layouts[window.set.current]
    assert new.options.get("rankdir") == "LR" or new.width > new.height
    window.legend_action.trigger()
    assert window.legend.entries == [] and not window.legend.isVisible()
    window.legend_action.trigger()
    assert window.legend.entries
