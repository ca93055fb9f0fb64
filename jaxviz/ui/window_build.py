"""The main window's widgets, status bar and menus, built for ``MainWindow``: what goes
where, which shortcut does what. Functions of the window (``self``), kept apart so that the
window's own module is its wiring."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.examples import read_examples
from .panels import fit_tabs


def build_splitter(self) -> QSplitter:
    left = QWidget()
    top = QFormLayout()  # a row each: side by side, both are squeezed in a 1280 px window
    top.addRow("Function", self.function)
    top.addRow("Args", self.args)
    box = QVBoxLayout(left)
    box.addLayout(top)
    box.addWidget(self.pipeline)
    box.addWidget(self.editor, 1)
    box.addWidget(self.errors)
    box.addWidget(self.notes)
    middle = QWidget()
    search_row = QHBoxLayout()
    prev_btn, next_btn = QToolButton(text="▲"), QToolButton(text="▼")
    prev_btn.clicked.connect(lambda: self.graph.next_match(-1))
    next_btn.clicked.connect(lambda: self.graph.next_match(1))
    for w in (self.search, self.search_count, prev_btn, next_btn, self.colour_by):
        search_row.addWidget(w, 1 if w is self.search else 0)
    graph_page = QWidget()
    page = QVBoxLayout(graph_page)
    page.setContentsMargins(0, 0, 0, 0)
    page.addLayout(search_row)
    page.addWidget(self.graph, 1)
    strip = QHBoxLayout()
    strip.addWidget(self.legend, 1)
    strip.addWidget(self.minimap, 0, Qt.AlignmentFlag.AlignBottom)
    page.addLayout(strip)
    self.pages = QStackedWidget()
    self.pages.addWidget(graph_page)
    self.pages.addWidget(self.diff_panel)
    mode_row = QHBoxLayout()
    mode_row.addWidget(self.stage_strip, 1)
    mode_row.addWidget(self.diff_button)
    mid = QVBoxLayout(middle)
    mid.addLayout(mode_row)
    mid.addWidget(self.pages, 1)
    self.side = QTabWidget()
    fit_tabs(self.side.tabBar())
    self.side.addTab(self.jaxpr, "jaxpr")
    self.side.addTab(self.details, "Details")
    scroll = QScrollArea(widgetResizable=True)  # its boxes never make the window taller
    scroll.setWidget(self.devices)
    self.side.addTab(scroll, "Devices")
    self.side.addTab(self.below, "XLA")
    splitter = QSplitter(Qt.Orientation.Horizontal)
    for w in (left, middle, self.side):
        splitter.addWidget(w)
    splitter.setStretchFactor(1, 1)  # a wider window widens the graph
    self.splitter = splitter
    return splitter

def build_status(self) -> None:
    self.timings = QLabel()
    self.busy = QProgressBar(maximumWidth=160, textVisible=False)
    self.busy.setRange(0, 0)
    self.busy_label = QLabel()
    self.cancel_btn = QPushButton("Cancel", toolTip="Stop the work in progress (Esc)")
    self.cancel_btn.clicked.connect(self.cancel)
    bar = self.statusBar()
    bar.addWidget(self.timings, 1)
    for w in (self.busy_label, self.busy, self.cancel_btn):
        bar.addPermanentWidget(w)
    self._set_busy("")

def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = menu.addAction(text, slot)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    return action

def build_menus(self) -> None:
    m = self.menuBar().addMenu("&File")
    _action(self, m, "&New", self.files.new_file, QKeySequence.StandardKey.New)
    _action(self, m, "&Open…", self.files.open_dialog, QKeySequence.StandardKey.Open)
    _action(self, m, "&Save", self.files.save, QKeySequence.StandardKey.Save)
    _action(self, m, "Save &As…", self.files.save_as, QKeySequence.StandardKey.SaveAs)
    self.recent_menu = m.addMenu("Recent files")
    m.addSeparator()
    _action(self, m, "&Export current stage…", self.files.export_current, "Ctrl+E")
    _action(self, m, "Export &all stages…", self.files.export_all, "Ctrl+Shift+E")
    _action(self, m, "&Copy graph image", self.files.copy_image, "Ctrl+Shift+C")
    m.addSeparator()
    _action(self, m, "&Quit", self.close, QKeySequence.StandardKey.Quit)
    self.examples_menu = self.menuBar().addMenu("E&xamples")
    for example in read_examples():
        self.examples_menu.addAction(example.title, lambda e=example: self.files.load_example(e))
    r = self.menuBar().addMenu("&Run")
    _action(self, r, "&Trace", self.trace, "Ctrl+Return", "Trace every stage now")
    _action(self, r, "&Cancel", self.cancel, "Escape")
    r.addSeparator()
    _action(self, r, "&Evaluate on values", self.values.evaluate, "Ctrl+E",
            "Run the stage shown equation by equation: select a node for its values")
    _action(self, r, "Find first &NaN or Inf", self.values.find_first_nonfinite, "Ctrl+Shift+E",
            "Run the stage shown and go to the equation that first made a NaN or an Inf")
    _action(self, r, "&Shardings on the edges…", self.sharding.ask, "Ctrl+Alt+S",
            "Compile the jit stage over a mesh of devices: each edge's sharding, the "
            "collectives, a device grid per equation in Details")
    _action(self, r, "Co&mpare values with the stage before", self.values.compare,
            "Ctrl+Alt+E", "Run the stage shown and the one before on the same values: the "
            "largest differences per output and per paired equation (a compiled stage: "
            "against XLA)")
    r.addSeparator()
    _action(self, r, "Time &limit…", self.ask_timeout,
                 tip="How long a trace may run before its worker is stopped")
    v = self.menuBar().addMenu("&View")
    _action(self, v, "Zoom &in", self.graph.zoom_in, QKeySequence.StandardKey.ZoomIn)
    _action(self, v, "Zoom &out", self.graph.zoom_out, QKeySequence.StandardKey.ZoomOut)
    _action(self, v, "&Fit to window", self.graph.fit, "Ctrl+0")
    _action(self, v, "Zoom to &selection", self.graph.zoom_to_selection, "Ctrl+9")
    _action(self, v, "Find", lambda: self.search.setFocus(), QKeySequence.StandardKey.Find)
    _action(self, v, "Next stage", lambda: self.drawing.step_stage(1), "Ctrl+]")
    _action(self, v, "Previous stage", lambda: self.drawing.step_stage(-1), "Ctrl+[")
    _action(self, v, "Open all groups", self.drawing.open_all_groups, "Ctrl+Shift+O")
    _action(self, v, "Close all groups", self.selector.close_all_groups, "Ctrl+Shift+W")
    depth = v.addMenu("Open to &depth")
    for n, words in enumerate(("top level only", "one level in", "two levels in",
                               "three levels in")):
        _action(self, depth, f"{n}: {words}", lambda n=n: self.drawing.open_to_depth(n), f"Alt+{n}",
                "Open the groups down to this depth and close every one below")
    self.nesting_action = _action(self, v, "Group by JAX's &nesting",
                                  lambda: self.drawing.group_by_jax_nesting(
                                      self.nesting_action.isChecked()), "Ctrl+Shift+J",
                                  "Groups by jit, scan, cond and custom rules, not your calls")
    self.nesting_action.setCheckable(True)
    self.diff_action = _action(self, v, "&Diff mode", self.diff_button.toggle, "Ctrl+D")
    _action(self, v, "Previous transformation", lambda: self.drawing.step_diff(-1), "Alt+Left")
    _action(self, v, "Next transformation", lambda: self.drawing.step_diff(1), "Alt+Right")
    self.lr_action = _action(self, v, "Left to right", self.drawing.relayout)
    self.lr_action.setCheckable(True)
    self.labels_action = _action(self, v, "Edge labels", self.drawing.relayout)
    self.labels_action.setCheckable(True)
    self.labels_action.setChecked(True)
    self.wrap_action = _action(self, v, "&Wrap long lines", lambda: self.editor.set_wrap(
        self.wrap_action.isChecked()), tip="Long lines of code wrap in the editor's column")
    self.wrap_action.setCheckable(True)
    self.wrap_action.setChecked(True)
    self.legend_action = _action(self, v, "Legend", self.drawing.redraw, "L")
    self.legend_action.setCheckable(True)
    self.legend_action.setChecked(True)
    self.files.update_recent()
