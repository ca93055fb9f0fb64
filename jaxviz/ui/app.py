"""Starting the app: the window appears at once, the worker imports JAX meanwhile.

``run_app`` reads the launch options (a file, function, arguments, pipeline, --screenshot),
restores the last session (or opens the built-in example), and starts the first trace.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from ..core.examples import default_example
from ..worker import protocol as p
from .gc_guard import GarbageCollector
from .session_store import Session, SessionStore

SCREENSHOT_TIMEOUT_MS = 120_000


def initial_session(store: SessionStore, args: argparse.Namespace) -> Session:
    """The last session, unless a file is given or restoring is off; else the example."""
    session = None if getattr(args, "no_restore", False) else store.load()
    if session is None or not session.source.strip():
        example = default_example()
        recent = session.recent if session else []
        session = Session(source=example.source, function=example.function, args=example.args,
                          pipeline=example.pipeline, recent=recent)
    if getattr(args, "host_devices", None):
        session.host_devices = args.host_devices
    return session


def apply_system_palette(app: QApplication) -> None:
    """Fusion style, in the system's light or dark colours."""
    app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorScheme"):
        app.setPalette(app.style().standardPalette() if hints.colorScheme().name != "Dark"
                       else _dark_palette())


def _dark_palette() -> QPalette:
    from PySide6.QtGui import QColor
    pal = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#2b2d31"), (QPalette.ColorRole.Base,
                        "#1e1f22"), (QPalette.ColorRole.AlternateBase, "#2b2d31"),
                        (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.WindowText,
                        "#e6e6e6"), (QPalette.ColorRole.Button, "#3a3c41"),
                        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
                        (QPalette.ColorRole.Highlight, "#3b82f6")):
        pal.setColor(role, QColor(color))
    return pal


def build_window(args: argparse.Namespace, store: SessionStore | None = None):
    """The window, its services started, the first trace queued."""
    from .main_window import MainWindow
    from .services import make_services

    store = store or SessionStore()
    session = initial_session(store, args)
    tracer, layouter = make_services(host_devices=session.host_devices,
                                     timeout=session.timeout)
    tracer.start()  # JAX imports in the worker while the window opens
    layouter.start()
    window = MainWindow(tracer, layouter, store, session)
    window.launch_view = {"color_by": getattr(args, "color_by", None),
                          "tab": getattr(args, "tab", None),
                          "find_nan": getattr(args, "find_nan", False)}
    if window.launch_view["color_by"] not in (None, "kind") or window.launch_view["find_nan"]:
        window.launch_target = -1  # known once the stages are in
    window.devices.host_devices.setValue(session.host_devices)
    tracer.submit(p.DevicesRequest())
    if getattr(args, "path", None):
        session.paths = _import_folders(window, args.path)
    if getattr(args, "file", None):
        open_target(window, args)
    else:
        for name in ("function", "args", "pipeline"):
            value = getattr(args, name, None)
            if value is not None:
                setattr(session, name, value)
        window.files.load_session(session)
        if session.trace_in_flight:
            window.files.show_not_retraced()
        else:
            window.trace()
    return window


def open_target(window, args: argparse.Namespace) -> None:
    """``jaxviz FILE``, ``jaxviz FILE:function`` or ``jaxviz pkg.module:function``."""
    from ..core.source import SourceError, resolve_target

    try:
        path, named = resolve_target(args.file, list(window.session.paths))
    except SourceError as exc:
        window.files.show_input_error(str(exc))
        return
    window.files.open_file(path, args.function or named, args.args, args.pipeline)


def take_screenshot(window, path: str, app: QApplication) -> None:
    """Save a PNG of the whole window once the first graph (or error) is drawn, then quit."""
    def shoot(*_):
        def save():
            window.grab().save(path)
            error = window.last_error
            shown = f"error: {error.summary()}" if error else \
                f"graph of {window.set.stages[window.set.current].title}" if window.set.stages \
                else "no graph"
            print(f"wrote {path} ({shown})")  # the launch tests read what it shows
            app.quit()
        QTimer.singleShot(300, save)
    def drawn(index: int) -> None:  # --color-by: the stage it colours, once coloured
        if getattr(window, "launch_target", None) in (None, index):
            shoot()
    window.graphShown.connect(drawn)
    window.tracer.failed.connect(shoot)
    window.errorShown.connect(shoot)  # an error in the code: the picture shows it
    if window.last_error is not None:  # it came before we listened
        shoot()
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, shoot)


def quit_on_signals(app: QApplication) -> QTimer:
    """SIGTERM, SIGHUP and Ctrl-C close the window as its Quit would: the session is saved and
    the workers' process groups are killed. Python runs signal handlers only between bytecodes,
    so a timer wakes the interpreter while Qt's loop waits in C."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda *_: app.quit())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return timer


def run_app(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("jaxviz")
    collector = GarbageCollector(app)  # noqa: F841 - collects on this thread from now on
    apply_system_palette(app)
    quit_on_signals(app)
    window = build_window(args)
    window.show()
    if os.environ.get("JAXVIZ_TIMING"):  # benchmarks/startup.py reads this line
        app.processEvents()
        print(f"window shown {time.perf_counter() - start:.3f} s after run_app", file=sys.stderr,
              flush=True)
    if getattr(args, "screenshot", None):
        take_screenshot(window, args.screenshot, app)
    code = app.exec()
    window.close()  # autosave and stop the workers, also when --screenshot quit the loop
    del window
    return code


def _import_folders(window, given: list[str]) -> list[str]:
    """The ``--path`` folders that can be imported from; the others said in the status bar."""
    from ..core.source import SourceError, import_folder

    folders = []
    for path in given:
        try:
            folders.append(import_folder(path))
        except SourceError as exc:
            window.statusBar().showMessage(str(exc), 15000)
    return folders
