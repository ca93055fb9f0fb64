"""The app never loses or overwrites the user's files, and a crash during a trace does not
become a crash at every launch."""

import json

from PySide6.QtCore import Qt

WAIT = 60_000


def test_a_trace_cut_short_is_not_retraced_at_the_next_launch(make_window, qtbot, jaxviz_home):
    jaxviz_home.mkdir(parents=True)
    source = "def boom(x):\n    return x * 2.0\n"
    (jaxviz_home / "session.json").write_text(json.dumps({
        "source": source, "function": "boom", "args": "1.0", "pipeline": "grad",
        "trace_in_flight": True}))
    window = make_window(no_restore=False)
    assert window.editor.toPlainText() == source  # the text is back
    assert "not traced again" in window.errors.text() and "Ctrl+Enter" in window.errors.text()
    qtbot.waitUntil(lambda: not window.tracer.busy, timeout=WAIT)  # the devices listing
    assert not window.set.stages and not window.trace_timer.isActive()  # no trace asked for
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert [s.title for s in window.set.stages] == ["boom", "grad(boom)"]
    assert not json.loads((jaxviz_home / "session.json").read_text())["trace_in_flight"]


def test_export_of_all_stages_never_replaces_a_users_file(window, qtbot, tmp_path):
    mine = tmp_path / "all_0.png"
    mine.write_bytes(b"\x89PNG\r\n\x1a\n my holiday photo")
    window.files.export_to(str(tmp_path / "all.png"), all_stages=True)
    qtbot.waitUntil(lambda: "not an earlier export" in window.errors.text(), timeout=WAIT)
    assert mine.read_bytes() == b"\x89PNG\r\n\x1a\n my holiday photo"


def test_export_to_a_path_the_user_confirmed_replaces_it(window, qtbot, tmp_path):
    target = tmp_path / "picked.svg"
    target.write_text("<svg>an older drawing the user chose to replace</svg>")
    with qtbot.waitSignal(window.exported, timeout=WAIT):
        window.files.export_to(str(target))  # the save dialog asked, the user said yes
    assert "written by jaxviz" in target.read_text()


def test_sharp_bits_notes_and_retrace_in_the_app(window, qtbot):
    from pathlib import Path

    from tests.ui.test_main_window import trace_code

    examples = Path(__file__).parents[2] / "resources" / "examples"
    source = (examples / "14_global_array.py").read_text()
    trace_code(window, qtbot, source, "project", "jnp.ones((8, 512))", "jit")
    window.results.show_stage(0)
    assert window.notes.isVisible() and "baked into the jaxpr" in window.notes.text()
    source = (examples / "16_changing_shapes.py").read_text()
    trace_code(window, qtbot, source, "normalise", "jnp.ones(3)", "jit")
    qtbot.waitUntil(lambda: window.set.stages[0].title == "normalise", timeout=60_000)
    assert not window.notes.isVisible()  # a pure function: no note
    window.devices.retrace.calls.setPlainText("jnp.ones(3)\njnp.ones(3)\njnp.ones(4)")
    with qtbot.waitSignal(window.tracer.finished, timeout=60_000):
        window.devices.retrace.run_btn.click()
    text = window.devices.retrace.out.toPlainText()
    assert text.count("traced and compiled") == 2 and text.count("cache hit") == 1
    assert "new shape for x" in text
