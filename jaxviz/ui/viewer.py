"""The window on stages traced elsewhere: ``jaxviz.show`` from a script or notebook.

    python -m jaxviz.ui.viewer STAGES.json [--screenshot OUT.png]

The stages arrive as IR (JSON written by ``jaxviz.api``); this process never imports jax. The
editor shows the function's file, read-only (node → line works); groups open and close through
the layout worker as in the app. Its session is its own: the app's is left as it was.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ..worker import protocol as p
from .app import apply_system_palette, quit_on_signals
from .session_store import Session, SessionStore
from .stage_set import build_stage_set


def build_viewer(data: dict, home: Path):
    from .main_window import MainWindow
    from .services import make_services

    source = _read(data.get("file", ""))
    session = Session(source=source, function=data.get("function", ""),
                      args="(from your script)", pipeline=data.get("pipeline", ""),
                      file=data.get("file", ""))
    tracer, layouter = make_services(preload_jax=False)
    layouter.start()
    window = MainWindow(tracer, layouter, SessionStore(home), session)
    window.trace_timer.stop()
    window.editor.setReadOnly(True)
    window.setWindowTitle(f"jaxviz — {data.get('function', '')} (from your script)")
    request = p.TraceRequest(source=source, function=session.function, args="",
                             pipeline=session.pipeline, filename=session.file)
    response = build_stage_set(request, p.TraceResult(stages=data["stages"]))
    window.trace_started = time.perf_counter()
    window.results.on_traced(request, response)
    return window


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return "# the function's source file could not be read\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jaxviz.ui.viewer")
    parser.add_argument("stages", help="the JSON file jaxviz.api wrote")
    parser.add_argument("--screenshot", metavar="OUT.png")
    args = parser.parse_args(argv)
    data = json.loads(Path(args.stages).read_text())
    Path(args.stages).unlink(missing_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("jaxviz")
    apply_system_palette(app)
    quit_on_signals(app)
    with tempfile.TemporaryDirectory(prefix="jaxviz-viewer-") as home:
        window = build_viewer(data, Path(home))
        window.show()
        if args.screenshot:
            _screenshot_when_drawn(window, args.screenshot, app)
        code = app.exec()
        window.close()
    return code


def _screenshot_when_drawn(window, path: str, app: QApplication) -> None:
    def shoot(*_):
        QTimer.singleShot(300, lambda: (window.grab().save(path),
                                        print("shown: " + " | ".join(
                                            s.title for s in window.set.stages), flush=True),
                                        app.quit()))
    window.graphShown.connect(shoot)
    QTimer.singleShot(60_000, app.quit)


if __name__ == "__main__":
    raise SystemExit(main())
