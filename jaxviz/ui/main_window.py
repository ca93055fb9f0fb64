"""The main window: editor and pipeline on the left, stages and graph in the middle, the jaxpr
text and details on the right, errors under the editor, timings and Cancel in the status bar.

It wires views together and talks to two worker services (tracing; layout and export). What
the user works on, and whether what is shown still matches it, is the ``Document``
(``document.py``), whose events the views follow (``document_views.py``); the stages of the
last trace live in ``StageSet``; widgets and menus are built in ``window_build.py``. The window
never runs user code or JAX.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
)

from ..core.errors import ErrorInfo
from ..core.layout.engine import LayoutOptions
from ..core.source import parses, top_level_functions
from ..worker import protocol as p
from .document import Document
from .document_views import DocumentViews
from .drawing_view import DrawingController
from .editor import CodeEditor
from .files_view import FilesController
from .graph_view import GraphView
from .layout_feed import LayoutFeed
from .pipeline_editor import PipelineEditor
from .results_view import ResultsController
from .selection_view import SelectionController
from .services import WorkerService
from .session_store import Session, SessionStore
from .sharding_view import ShardingController
from .stage_set import StageSet, build_stage_ahead, build_stage_set, prepare_views
from .values_view import ValuesController
from .window_build import build_menus, build_splitter, build_status
from .xla_view import XlaController

TRACE_PAUSE_MS = 700  # a trace starts this long after typing stops
AUTOSAVE_MS = 300


SIDE_MIN = 320  # px: the side tabs' panels (devices, XLA) fit without a horizontal scroll


class MainWindow(QMainWindow):
    graphShown = Signal(int)  # the stage index whose graph was just drawn
    firstViewShown = Signal(int)  # the stage drawn ahead of its trace result (view only)
    exported = Signal(list)  # the paths an export wrote
    diffShown = Signal(int)  # the later stage of the step the diff mode just drew
    errorShown = Signal(object)  # the ErrorInfo the error panel now shows

    def __init__(
        self, tracer: WorkerService, layouter: WorkerService, store: SessionStore, session: Session
    ):
        super().__init__()
        self.tracer, self.layouter, self.store, self.session = tracer, layouter, store, session
        self.tracer.prepare = build_stage_set
        self.tracer.prepare_ahead = build_stage_ahead
        self.layouter.prepare = prepare_views(lambda: self.set)
        self.feed = LayoutFeed(layouter.client)
        self.first_view: p.FirstView | None = None  # drawn ahead of its trace's stages
        self.first_view_waiting: list | None = None  # see ResultsController.after_first_view
        self.trace_started = 0.0
        self.last_error: ErrorInfo | None = None
        self.setWindowTitle("jaxviz")
        self.document = Document()  # what is worked on; the views follow its events
        self.sharding = ShardingController(self)  # Run → Shardings on the edges
        self.values = ValuesController(self)  # Run → Evaluate on values, and the rest
        self.selector = SelectionController(self)  # graph, editor, text and Details in step
        self.xla_view = XlaController(self)  # the XLA tab and the overlays
        self.drawing = DrawingController(self)  # layouts, drawing, groups, diff mode
        self.results = ResultsController(self)  # the workers' answers, the stage shown
        self.files = FilesController(self)  # the session, files, recent files, export
        self._build_views()
        self.document_views = DocumentViews(self)
        build_menus(self)
        self._connect()
        self.files.load_session(session)

    @property
    def set(self) -> StageSet:
        """The stages of the last good trace: the document's (``document.py``)."""
        return self.document.stages

    # --- building -------------------------------------------------------------------------

    def _build_views(self) -> None:
        from .device_panel import DevicePanel
        from .diff_panel import DiffPanel
        from .legend import LegendStrip
        from .minimap import MiniMap
        from .panels import DetailsPanel, ErrorPanel, JaxprView, NotesPanel, StageStrip

        self.editor = CodeEditor()
        self.function = QComboBox(minimumWidth=120, toolTip="The function to trace")
        self.args = QLineEdit(placeholderText="arguments, e.g. 2.0 or params, f32[8,784]")
        self.args.setToolTip(
            "What you would write between the call's parentheses. "
            "f32[8,3] is an abstract array (no memory allocated)."
        )
        self.pipeline = PipelineEditor()
        self.errors = ErrorPanel()
        self.notes = NotesPanel()
        self.stage_strip = StageStrip()
        self.graph = GraphView()
        self.search = QLineEdit(placeholderText="Search: primitive, variable, shape  (Ctrl+F)")
        self.search.setMinimumWidth(150)  # a count beside it never squeezes it to a stub
        self.search_count = QLabel()
        self.jaxpr = JaxprView()
        self.devices = DevicePanel()
        self.devices.source_fields = lambda: (
            self.editor.toPlainText(),
            self.function.currentText(),
            self.args.text(),
            self.session.file or "<editor>",
        )
        self.devices.retrace.source_fields = self.devices.source_fields
        self.devices.stage_fields = lambda: (self.pipeline.pipeline(), self.results.device_stage())
        self.diff_panel = DiffPanel()
        self.diff_button = QPushButton(
            "Diff with previous stage",
            checkable=True,
            toolTip="Step through what each transformation did (Ctrl+D)",
        )
        self.legend = LegendStrip()
        self.minimap = MiniMap(self.graph)
        self.details = DetailsPanel()
        self.details.show_node(None)
        self.xla_view.build()
        self.setCentralWidget(build_splitter(self))
        build_status(self)
        self._size_to_screen()

    def _size_to_screen(self) -> None:
        """A first size from the screen's free area: all of a 1280×800 screen, most of a
        1920×1080 one, never more than 1920×1200; the splitter gives the graph most."""
        screen = QGuiApplication.primaryScreen()
        free = screen.availableGeometry() if screen else None
        self._free = free  # the frame, known at the first show, must fit in it too
        width = min(free.width(), 1920) if free else 1500
        height = min(free.height(), 1200) if free else 900
        if width > 1400:
            width, height = int(width * 0.92), int(height * 0.92)
        self.resize(width, height)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        """At the first show, when the splitter knows its width: the graph gets most of it."""
        super().showEvent(event)
        if not getattr(self, "_sized", False):
            self._sized = True
            self._frame_inside_screen()
            width = self.splitter.width()
            side = max(int(width * 0.20), SIDE_MIN)
            editor = int(width * 0.25)
            self.splitter.setSizes([editor, width - editor - side, side])

    def _frame_inside_screen(self) -> None:
        """The first size was for the inside of the window: once the frame is known (at the
        first show), the whole window, frame and all, fits the screen's free area."""
        free, frame = self._free, self.frameGeometry()
        if free is None:
            return
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        if frame.width() > free.width() or frame.height() > free.height():
            self.resize(
                min(self.width(), free.width() - extra_w),
                min(self.height(), free.height() - extra_h),
            )
            self.move(free.topLeft())

    def _connect(self) -> None:
        self.trace_timer = QTimer(self, singleShot=True, interval=TRACE_PAUSE_MS)
        self.trace_timer.timeout.connect(self.trace)
        self.save_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self.save_timer.timeout.connect(self.files.autosave)
        self.editor.textChanged.connect(self._on_edit)
        self.args.textEdited.connect(lambda _: self._on_input_changed())
        self.function.activated.connect(lambda _: self._on_input_changed())
        self.pipeline.changed.connect(lambda _: self._on_input_changed())
        self.editor.lineClicked.connect(self.selector.on_editor_line)
        self.jaxpr.lineClicked.connect(self.selector.on_jaxpr_line)
        self.errors.lineRequested.connect(lambda line: self.editor.show_line(line))
        self.notes.lineRequested.connect(lambda line: self.editor.show_line(line))
        self.stage_strip.currentChanged.connect(self.results.show_stage)
        self.graph.nodesSelected.connect(self.selector.on_nodes_selected)
        self.graph.groupToggled.connect(self.drawing.toggle_group)
        self.search.textChanged.connect(self.selector.on_search)
        self.search.returnPressed.connect(self.selector.search_step)
        self.diff_button.toggled.connect(self.drawing.set_diff_mode)
        self.diff_panel.stepRequested.connect(self.drawing.step_diff)
        for service in (self.tracer, self.layouter):
            service.started.connect(self._set_busy)
            service.progress.connect(lambda msg, _f: self.busy_label.setText(msg))
            service.idle.connect(lambda: self._set_busy(""))
            service.failed.connect(self.results.on_failed)
        self.tracer.finished.connect(self.results.on_worker_answer)
        self.tracer.first_view.connect(self.results.on_first_view)
        self.devices.requestMade.connect(self.tracer.submit)
        self.devices.hostDevicesChanged.connect(self.results.set_host_devices)
        self.devices.showStage.connect(self.results.show_extra_stage)
        self.layouter.finished.connect(self.drawing.on_layout_done)

    # --- editing and tracing --------------------------------------------------------------

    def _refresh_functions(self, wanted: str | None = None, new_text: bool = False) -> None:
        """Fill the function picker from the code (``new_text``: a file or example just
        loaded, whose functions replace the old ones even when it does not parse)."""
        current = wanted or self.function.currentText()
        names = top_level_functions(self.editor.toPlainText())
        if not names and self.function.count() and not new_text:
            return  # mid-edit syntax error: keep the list until the code parses again
        self.function.blockSignals(True)
        self.function.clear()
        self.function.addItems(names)
        if current in names:
            self.function.setCurrentText(current)
        self.function.blockSignals(False)

    def _on_edit(self) -> None:
        self._refresh_functions()
        self._on_input_changed()

    def _on_input_changed(self) -> None:
        self.document.edit()
        self.save_timer.start()
        self.trace_timer.start()

    def layout_options(self) -> LayoutOptions:
        return LayoutOptions(
            rankdir="LR" if self.lr_action.isChecked() else "TB",
            edge_labels=self.labels_action.isChecked(),
        )

    def trace(self) -> None:
        """Trace every stage (Ctrl+Enter); a newer trace replaces one in flight."""
        self.trace_timer.stop()
        self.session.trace_in_flight = True
        self.files.autosave()
        if not self.function.currentText() and parses(self.editor.toPlainText()):
            self.document.answered(
                ErrorInfo(kind="function", message="The code defines no function to trace yet.")
            )
            return  # (code that does not parse goes to the worker, which names the error)
        self.trace_started = time.perf_counter()
        self.tracer.submit(
            p.TraceRequest(
                source=self.editor.toPlainText(),
                function=self.function.currentText(),
                args=self.args.text(),
                pipeline=self.pipeline.pipeline(),
                filename=self.session.file or "<editor>",
                paths=list(self.session.paths),
                layout=self.layout_options(),
                layout_last_only=True,
                first_view=True,
            )
        )

    def ask_timeout(self) -> None:
        """Set the time limit of a request to the tracing worker (kept in the session)."""
        value, ok = QInputDialog.getDouble(
            self,
            "Time limit",
            "Seconds a trace may run:",
            self.tracer.client.timeout,
            1.0,
            3600.0,
            0,
        )
        if ok:
            self.tracer.client.timeout = self.session.timeout = value
            self.files.autosave()

    def cancel(self) -> None:
        """Esc: stop the running trace and layout; with nothing running, Esc does nothing."""
        if not (self.tracer.has_work or self.layouter.has_work or self.trace_timer.isActive()):
            return
        self.trace_timer.stop()
        self.tracer.cancel()
        self.layouter.cancel()
        self._set_busy("")
        self.document.cancelled()
        self.statusBar().showMessage("Cancelled", 3000)

    def _set_busy(self, what: str) -> None:
        for w in (self.busy, self.cancel_btn, self.busy_label):
            w.setVisible(bool(what) or self.tracer.busy or self.layouter.busy)
        self.busy_label.setText(what)

    # --- closing --------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.files.autosave()
        self.tracer.shutdown()
        self.layouter.shutdown()
        super().closeEvent(event)
