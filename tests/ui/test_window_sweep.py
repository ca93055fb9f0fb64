"""The window sweep: every Examples entry, in every state a user reaches, fits the screen.

Offscreen, on an emulated screen of 1280x800 and of 1920x1080 (the window builds with the
screen's available geometry emulated, then fills the screen as a maximised window does), each
example is loaded and traced, then shown in every stage tab, every side tab (jaxpr, Details,
Devices scrolled to its top and to the retrace panel, XLA and each of its own tabs), with a
search active, once in diff mode, after failing edits (a syntax error; ``1/0``; a KeyError that
names a 100-character dotted parameter path) and after the good text is restored and traced
again. Each example starts on the window maximised again (a window grown by the example before
is reported there, and shrunk back if it can be). The frame the app gives itself when it opens,
before that, is checked once ("opened"). The pmap and global-array examples run on the 4
simulated CPU devices that tests/conftest.py sets in XLA_FLAGS (the workers inherit it).

After each state it collects every violation, not the first:

- the window's frame is wider or taller than the screen;
- a pane of the window (left, middle, the side tab shown) or a scroll area's content needs more
  width (``minimumSizeHint``) than it has, or a visible widget in it reaches past its right or
  left edge (cut off horizontally; a scroll area's viewport is the edge for its content);
- a visible button has neither text nor icon, or is narrower than its text;
- a visible label without word wrap is narrower than its plain text, unless the text was
  elided on purpose ("…" in it, the full text in its tool tip);
- a visible tab bar is narrower than its tabs (some are behind scroll arrows);
- a visible line edit is squeezed by its neighbours: narrower than its text (or placeholder)
  and than three quarters of its own size hint;
- a visible combo box is narrower than its current text.

A screenshot of each state goes to ``$JAXVIZ_SWEEP_SHOTS`` (else the test's tmp_path), named
``{size}_{example}_{state}.png``. To keep the run to a few minutes on two cores, every example
is swept at 1280x800 and a subsample of three (many stages, a pmap, a compiled stage) at
1920x1080 (about two minutes in all); one window per screen size serves all its examples, as a
user's would.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QToolButton,
    QWidget,
)

from jaxviz.core.examples import read_examples
from jaxviz.worker import protocol as p
from tests.ui.conftest import app_args

WAIT = 90_000
SETTLE_MS = 60
SIZES = {"1280x800": (1280, 800), "1920x1080": (1920, 1080)}
WIDE_SUBSAMPLE = ("Polynomial: 1st, 2nd and 3rd derivatives", "Matrix multiply under pmap",
                  "Below the jaxpr: an MLP's grad compiled by XLA (fusions, cost, memory)")
SYNTAX_ERROR = "\n\ndef broken(x:\n    return x\n"
RUNTIME_ERROR = "\n\n1 / 0\n"
# an error that names one long unbreakable word: a dotted parameter path, as a quantised
# model's state dict has them (the traced function, redefined, looks it up)
LONG_NAME_ERROR = ("\n\ndef {function}(*args, **kwargs):\n"
                   "    return {{}}['model.transformer.encoder.layers.11.self_attention"
                   ".query_key_value.weight.quantized.scale_inverse']\n")
TOLERANCE = 1  # px
SQUEEZED = 0.75  # a line edit narrower than this share of its size hint, and than its text


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:40]


EXAMPLES = read_examples()
CASES = [("1280x800", e) for e in EXAMPLES] + \
    [("1920x1080", e) for e in EXAMPLES if e.title in WIDE_SUBSAMPLE]


# --- the window, on an emulated screen ---------------------------------------------------------

class _Screen:
    def __init__(self, width: int, height: int):
        self.rect = QRect(0, 0, width, height)

    def availableGeometry(self) -> QRect:  # noqa: N802 - Qt's name
        return self.rect


class _ScreenOnly:
    """Stands in for QGuiApplication where the window asks for the primary screen."""

    def __init__(self, width: int, height: int):
        self.screen = _Screen(width, height)

    def primaryScreen(self) -> _Screen:  # noqa: N802 - Qt's name
        return self.screen


def build_on_screen(size: tuple[int, int], qtbot):
    from jaxviz.ui import main_window
    from jaxviz.ui.app import build_window

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(main_window, "QGuiApplication", _ScreenOnly(*size))
        window = build_window(app_args())
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.show()
    settle(window, qtbot)
    window.opened = [f"as the app sized itself: {v}"
                     for v in check_frame(window, size, widget_names(window))]
    maximise(window, size)
    settle(window, qtbot)
    return window


def maximise(window, size: tuple[int, int]) -> None:
    """The window's frame on all of the screen (offscreen, the frame is 2 px a side)."""
    frame = window.frameGeometry().size() - window.geometry().size()
    window.resize(size[0] - frame.width(), size[1] - frame.height())


def close(window) -> None:
    window.close()  # autosaves and stops both workers
    window.deleteLater()


@pytest.fixture(scope="module")
def windows(qapp, tmp_path_factory):
    """One window per screen size, made when first asked for (the other one closed)."""
    made: dict[str, object] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAXVIZ_HOME", str(tmp_path_factory.mktemp("sweep_home")))

        def get(size: str, qtbot):
            if size not in made:
                for old in made.values():
                    close(old)
                made.clear()
                made[size] = build_on_screen(SIZES[size], qtbot)
            return made[size]

        yield get
        for window in made.values():
            close(window)


# --- waiting ----------------------------------------------------------------------------------

def idle(window) -> bool:
    return not (window.tracer.has_work or window.layouter.has_work
                or window.trace_timer.isActive())


def settle(window, qtbot) -> None:
    """No work queued, and the event loop turned a few times (graph batches, resizes)."""
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    qtbot.wait(SETTLE_MS)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)


def traced(window, qtbot, start) -> None:
    """Run ``start`` (which asks for a trace); wait for its answer and, if it has stages, for
    the graph to be drawn."""
    seen: dict[str, object] = {}

    def answered(request, response):
        if isinstance(request, p.TraceRequest):
            seen["response"] = response

    def drawn(_index):
        seen["drawn"] = True

    window.tracer.finished.connect(answered)
    window.tracer.failed.connect(answered)
    window.graphShown.connect(drawn)
    try:
        start()
        qtbot.waitUntil(lambda: "response" in seen and ("drawn" in seen or not _has_stages(
            seen["response"])), timeout=WAIT)
    finally:
        window.tracer.finished.disconnect(answered)
        window.tracer.failed.disconnect(answered)
        window.graphShown.disconnect(drawn)
    settle(window, qtbot)


def _has_stages(response) -> bool:
    return isinstance(response, p.TraceResult) and bool(response.stages)


def show_stage(window, qtbot, index: int) -> None:
    if window.stage_strip.currentIndex() != index:
        with qtbot.waitSignal(window.graphShown, timeout=WAIT):
            window.stage_strip.setCurrentIndex(index)
    settle(window, qtbot)


# --- naming widgets in the report --------------------------------------------------------------

def _key(widget: QWidget) -> int:
    return shiboken6.getCppPointer(widget)[0]


def widget_names(window) -> dict[int, str]:
    """``window.devices.bench_btn`` and the like: the attribute paths of the window's widgets,
    two levels down."""
    names: dict[int, str] = {}
    todo = [(window, "window")]
    for depth in range(3):
        nxt = []
        for obj, path in todo:
            for attr, value in vars(obj).items():
                if isinstance(value, QWidget) and _key(value) not in names:
                    names[_key(value)] = f"{path}.{attr}"
                    nxt.append((value, f"{path}.{attr}"))
        todo = nxt if depth < 2 else []
    return names


def _text_of(widget: QWidget) -> str:
    text = widget.text() if hasattr(widget, "text") and callable(widget.text) else ""
    if isinstance(widget, QComboBox):
        text = widget.currentText()
    if isinstance(widget, QGroupBox):
        text = widget.title()
    return text if isinstance(text, str) else ""


def describe(widget: QWidget, names: dict[int, str]) -> str:
    """Class, objectName, attribute path (or the nearest named ancestor) and text."""
    parts = [type(widget).__name__]
    if widget.objectName():
        parts.append(f"#{widget.objectName()}")
    name = names.get(_key(widget))
    if name:
        parts.append(name)
    else:
        up = widget.parentWidget()
        while up is not None and _key(up) not in names:
            up = up.parentWidget()
        if up is not None:
            parts.append(f"in {names[_key(up)]}")
    text = plain(_text_of(widget)).replace("\n", " ")
    if text:
        parts.append(repr(text if len(text) <= 60 else text[:57] + "..."))
    return " ".join(parts)


# --- the checks --------------------------------------------------------------------------------

def plain(text: str) -> str:
    """A label's text as shown, without markup."""
    if "<" in text and ">" in text:
        doc = QTextDocument()
        doc.setHtml(text)
        return doc.toPlainText()
    return text


def text_width(widget: QWidget, text: str) -> int:
    metrics = widget.fontMetrics()
    return max((metrics.horizontalAdvance(line) for line in text.splitlines()), default=0)


def global_rect(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())


def min_width(widget: QWidget) -> int:
    """The width a layout may not go below (Qt's qSmartMinSize, horizontally)."""
    if widget.minimumWidth():
        return widget.minimumWidth()
    if widget.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Ignored:
        return 0
    return widget.minimumSizeHint().width()


def check_frame(window, size: tuple[int, int], names) -> list[str]:
    frame = window.frameGeometry()
    if frame.width() <= size[0] and frame.height() <= size[1]:
        return []
    panes = ", ".join(f"{describe(w, names)} min {min_width(w)} px (has {w.width()})"
                      for w in panes_of(window))
    return [f"window frame {frame.width()}x{frame.height()} exceeds the screen "
            f"{size[0]}x{size[1]} (window minimumSizeHint "
            f"{window.minimumSizeHint().width()}x{window.minimumSizeHint().height()}; "
            f"panes: {panes})"]


def panes_of(window) -> list[QWidget]:
    return [window.splitter.widget(i) for i in range(window.splitter.count())]


def check_panes(window, names) -> list[str]:
    out = []
    side = window.side
    for index, pane in enumerate(panes_of(window)):
        where = ("left", "middle", f"side tab {side.tabText(side.currentIndex())!r}")[
            min(index, 2)]
        if min_width(pane) > pane.width() + TOLERANCE:
            out.append(f"{where} pane: {describe(pane, names)} needs {min_width(pane)} px, "
                       f"has {pane.width()} px")
        out += _overflow(pane, global_rect(pane), where, names)
    return out


CONTAINERS = (QStackedWidget,)  # boxes with no look of their own: what is in them is reported
OPAQUE = (QAbstractScrollArea, QTabBar, QComboBox, QAbstractSpinBox)  # Qt places their insides


def _overflow(parent: QWidget, clip: QRect, where: str, names) -> list[str]:
    """Visible widgets under ``parent`` that reach past the edges of ``clip``."""
    out = []
    for child in parent.findChildren(QWidget, options=_direct()):
        if not child.isVisible() or child.isWindow():
            continue
        rect = global_rect(child)
        if not _plain_box(child) and rect.width() > 0 and (
                rect.left() < clip.left() - TOLERANCE or rect.right() > clip.right() + TOLERANCE):
            out.append(f"{where}: {describe(child, names)} spans x {rect.left() - clip.left()}"
                       f"..{rect.right() - clip.left() + 1}, the visible width is "
                       f"{clip.width()} px (cut by {_cut(rect, clip)} px)")
        if isinstance(child, QScrollArea):
            out += _scroll_content(child, clip, where, names)
        elif not isinstance(child, OPAQUE):
            out += _overflow(child, clip, where, names)
    return out


def _direct():
    return Qt.FindChildOption.FindDirectChildrenOnly


def _plain_box(widget: QWidget) -> bool:
    """A plain QWidget or stack: only a holder of what is in it (reported for itself)."""
    return type(widget) is QWidget or isinstance(widget, CONTAINERS)


def _cut(rect: QRect, clip: QRect) -> int:
    return max(clip.left() - rect.left(), rect.right() - clip.right())


def _scroll_content(area: QScrollArea, clip: QRect, where: str, names) -> list[str]:
    content = area.widget()
    if content is None or not content.isVisible():
        return []
    port = global_rect(area.viewport()).intersected(clip)
    inner = f"{where} (scroll area {describe(area, names)})"
    out = []
    if min_width(content) > port.width() + TOLERANCE:
        out.append(f"{inner}: content {describe(content, names)} needs {min_width(content)} "
                   f"px (minimumSizeHint), the viewport is {port.width()} px")
    return out + _overflow(content, port, inner, names)


def check_buttons(window, names) -> list[str]:
    out = []
    for button in window.findChildren(QAbstractButton):
        if not isinstance(button, QPushButton | QToolButton) or not button.isVisible():
            continue
        text = button.text().replace("&", "")
        arrow = isinstance(button, QToolButton) and button.arrowType().value != 0
        if not text and button.icon().isNull() and not arrow:
            out.append(f"button without text or icon: {describe(button, names)}")
        elif text:
            margin = button.style().pixelMetric(QStyle.PixelMetric.PM_ButtonMargin, None, button)
            need = text_width(button, text) + margin
            if not button.icon().isNull():
                need += button.iconSize().width() + 4
            if need > button.width() + TOLERANCE:
                out.append(f"button text cut: {describe(button, names)} needs {need} px, is "
                           f"{button.width()} px wide")
    return out


def check_labels(window, names) -> list[str]:
    out = []
    for label in window.findChildren(QLabel):
        if not label.isVisible() or label.wordWrap() or not label.text():
            continue
        text = plain(label.text())
        if "…" in text and label.toolTip():
            continue  # elided on purpose, the whole text in the tip
        need, has = text_width(label, text), label.contentsRect().width()
        if need > has + TOLERANCE:
            out.append(f"label text cut: {describe(label, names)} needs {need} px, has {has} "
                       f"px (word wrap off, no ellipsis)")
    return out


def check_tab_bars(window, names) -> list[str]:
    out = []
    for bar in window.findChildren(QTabBar):
        if not bar.isVisible() or not bar.count():
            continue
        down = bar.shape() in (QTabBar.Shape.RoundedWest, QTabBar.Shape.RoundedEast)
        need = sum(bar.tabRect(i).height() if down else bar.tabRect(i).width()
                   for i in range(bar.count()))
        if need > (bar.height() if down else bar.width()) + TOLERANCE:
            tabs = " | ".join(bar.tabText(i) for i in range(bar.count()))
            out.append(f"tab bar overflows: {describe(bar, names)} tabs [{tabs}] need {need} "
                       f"px, the bar is {bar.height() if down else bar.width()} px")
    return out


def check_line_edits(window, names) -> list[str]:
    out = []
    for edit in window.findChildren(QLineEdit):
        parent = edit.parentWidget()
        if not edit.isVisible() or isinstance(parent, QComboBox | QAbstractSpinBox):
            continue
        shown = edit.text() or edit.placeholderText()
        margins = edit.textMargins()
        need = text_width(edit, shown) + margins.left() + margins.right() + 8  # frame, cursor
        floor = min(need, int(SQUEEZED * edit.sizeHint().width()))
        if edit.width() + TOLERANCE < floor:
            out.append(f"line edit squeezed: {describe(edit, names)} is {edit.width()} px, "
                       f"narrower than its text ({need} px) and {SQUEEZED} of its size hint "
                       f"({edit.sizeHint().width()} px)")
    return out


def check_combo_boxes(window, names) -> list[str]:
    out = []
    for combo in window.findChildren(QComboBox):
        text = combo.currentText()
        if not combo.isVisible() or not text or combo.isEditable():
            continue
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                             QStyle.SubControl.SC_ComboBoxEditField, combo)
        need = text_width(combo, text)
        if need > field.width() + TOLERANCE and not ("…" in text and combo.toolTip()):
            out.append(f"combo box text cut: {describe(combo, names)} needs {need} px, its "
                       f"text field is {field.width()} px")
    return out


def violations(window, size: tuple[int, int]) -> list[str]:
    names = widget_names(window)
    return (check_frame(window, size, names) + check_panes(window, names)
            + check_buttons(window, names) + check_labels(window, names)
            + check_tab_bars(window, names) + check_line_edits(window, names)
            + check_combo_boxes(window, names))


# --- one sweep ---------------------------------------------------------------------------------

class Sweep:
    """One example at one screen size: its states, each checked and photographed."""

    def __init__(self, window, qtbot, size: str, example, shots: Path):
        self.window, self.qtbot, self.size, self.example = window, qtbot, size, example
        self.shots, self.found = shots, []

    def check(self, state: str) -> None:
        self.qtbot.wait(SETTLE_MS)  # layouts and paints after the last change
        name = f"{self.size}_{slug(self.example.title)}_{state}"
        self.window.grab().save(str(self.shots / f"{name}.png"))
        self.found += [(state, v) for v in violations(self.window, SIZES[self.size])]

    def load(self) -> None:
        traced(self.window, self.qtbot, lambda: self.window.files.load_example(self.example))
        self.window.side.setCurrentIndex(0)
        self.check("loaded")

    def stages(self) -> None:
        for index in range(len(self.window.set.stages)):
            show_stage(self.window, self.qtbot, index)
            self.check(f"stage{index}")

    def side_tabs(self) -> None:
        side = self.window.side
        for index in range(side.count()):
            side.setCurrentIndex(index)
            settle(self.window, self.qtbot)
            self.check(f"side-{slug(side.tabText(index))}")
            if side.widget(index) is self.window.below:
                self._xla_tabs()
            elif isinstance(side.widget(index), QScrollArea):
                self._scrolled_to_retrace(side.widget(index))
        side.setCurrentIndex(0)

    def _xla_tabs(self) -> None:
        tabs = self.window.below.tabs
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            self.check(f"xla-{slug(tabs.tabText(index))}")
        tabs.setCurrentIndex(0)

    def _scrolled_to_retrace(self, area: QScrollArea) -> None:
        area.ensureWidgetVisible(self.window.devices.retrace)
        self.check("side-devices-retrace")
        area.verticalScrollBar().setValue(0)
        area.horizontalScrollBar().setValue(0)

    def search(self) -> None:
        query = most_common_primitive(self.window)
        if query:
            self.window.search.setText(query)
            settle(self.window, self.qtbot)
            self.check("search")
            self.window.search.clear()

    def diff(self) -> None:
        if len(self.window.set.stages) >= 2:
            with self.qtbot.waitSignal(self.window.diffShown, timeout=WAIT):
                self.window.diff_button.setChecked(True)
            settle(self.window, self.qtbot)
            self.check("diff")
            self.window.diff_button.setChecked(False)
            settle(self.window, self.qtbot)

    def failing_edits(self) -> None:
        good = self.window.editor.toPlainText()
        long_name = LONG_NAME_ERROR.format(function=self.example.function)
        for state, tail in (("syntax-error", SYNTAX_ERROR), ("runtime-error", RUNTIME_ERROR),
                            ("long-name-error", long_name)):
            self._trace_text(good + tail)
            self.check(state)
        self._trace_text(good)
        self.check("restored")

    def _trace_text(self, text: str) -> None:
        def start():
            self.window.editor.setPlainText(text)
            self.window.trace()
        traced(self.window, self.qtbot, start)


def most_common_primitive(window) -> str:
    """The primitive the current stage has most of (likely some in closed groups)."""
    s = window.set
    if not s.stages:
        return ""
    counts = Counter(n.primitive for n in s.nodes[s.current].values()
                     if n.kind == "eqn" and n.primitive)
    return counts.most_common(1)[0][0] if counts else ""


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("JAXVIZ_SWEEP_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report(size: str, example, found: list[tuple[str, str]]) -> str:
    """Each distinct violation once, with the states it was seen in."""
    where: dict[str, list[str]] = {}
    for state, text in found:
        where.setdefault(text, []).append(state)
    lines = [f"{size} {example.title!r}: {len(found)} violations, {len(where)} distinct:"]
    lines += [f"- {text}\n    in states: {', '.join(states)}" for text, states in where.items()]
    return "\n".join(lines)


@pytest.mark.parametrize(("size", "example"), CASES,
                         ids=[f"{size}-{slug(e.title)}" for size, e in CASES])
def test_window_sweep(windows, qtbot, shots, size, example):
    window = windows(size, qtbot)
    maximise(window, SIZES[size])
    settle(window, qtbot)
    sweep = Sweep(window, qtbot, size, example, shots)
    sweep.found += [("opened", v) for v in window.opened]
    window.opened = []  # said once, by the first example of this screen size
    sweep.load()
    sweep.stages()
    sweep.side_tabs()
    sweep.search()
    sweep.diff()
    sweep.failing_edits()
    assert not sweep.found, report(size, example, sweep.found)
