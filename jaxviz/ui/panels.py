"""The smaller views: the stage strip, the jaxpr text, the details of a node, the error panel."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTabBar, QTextBrowser, QTextEdit

from ..core.errors import ErrorInfo
from ..core.ir.graph import Node, Stage
from ..core.value_stats import nonfinite
from .editor import code_font

TEXT_PIECE = 3000  # lines of jaxpr text added per turn of the event loop
HIGHLIGHT_MAX = 3000  # lines of stage text highlighted; longer ones stay plain


def fit_tabs(bar: QTabBar) -> None:
    """Tabs that share the bar's width, their text shortened in the middle (each tab's
    tooltip keeps it whole), rather than tabs hidden behind scroll arrows."""
    bar.setElideMode(Qt.TextElideMode.ElideMiddle)
    bar.setUsesScrollButtons(False)


class StageStrip(QTabBar):
    """One tab per stage: ``f · 8``, ``grad(f) · 18``, ..."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setExpanding(False)
        self.setDocumentMode(True)
        fit_tabs(self)

    def set_stages(self, stages: list[Stage], current: int) -> None:
        self.blockSignals(True)
        while self.count():
            self.removeTab(0)
        for stage in stages:
            index = self.addTab(f"{stage.title} · {stage.equations}")
            self.setTabToolTip(index, f"{stage.title}: {stage.count_text()} (nested ones "
                                      f"included; a jaxpr used several times counts each time, "
                                      f"and JAX prints it once)")
        self.setCurrentIndex(min(max(current, 0), len(stages) - 1))
        self.blockSignals(False)


class JaxprView(QPlainTextEdit):
    """JAX's own text of the stage; a click on an equation selects its nodes."""

    lineClicked = Signal(int)  # 0-based text line

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(code_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        from .ir_highlighter import IRHighlighter
        self.highlighter = IRHighlighter(self.document())

    def set_text(self, text: str) -> None:
        """Show a jaxpr; a long one goes in by pieces, one per turn of the event loop (30,000
        lines at once held the window for 80 ms)."""
        self._generation = getattr(self, "_generation", 0) + 1
        lines = text.split("\n")
        # Qt highlights every block as it goes in, on the window's thread: past a few
        # thousand lines that is the longest event-loop gap of a big trace, so big texts
        # stay plain (detached first: attaching re-highlights what the document holds)
        self.highlighter.setDocument(None)
        if len(lines) <= TEXT_PIECE:
            self.setPlainText(text)
            if len(lines) <= HIGHLIGHT_MAX:
                self.highlighter.setDocument(self.document())
            return
        self.setPlainText("\n".join(lines[:TEXT_PIECE]))
        self._append(lines, TEXT_PIECE, self._generation)

    def _append(self, lines: list[str], start: int, generation: int) -> None:
        if generation != self._generation or start >= len(lines):
            return
        QTimer.singleShot(0, lambda: (
            self.appendPlainText("\n".join(lines[start:start + TEXT_PIECE]))
            if generation == self._generation else None,
            self._append(lines, start + TEXT_PIECE, generation)))

    def show_lines(self, lines: list[int]) -> None:
        marks = []
        for line in lines:
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor("#fef3c7"))
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = QTextCursor(self.document().findBlockByNumber(line))
            marks.append(sel)
        self.setExtraSelections(marks)
        if lines:
            self.setTextCursor(QTextCursor(self.document().findBlockByNumber(lines[0])))
            self.centerCursor()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        if not self.textCursor().hasSelection():
            self.lineClicked.emit(self.textCursor().blockNumber())


def node_details_html(node: Node) -> str:
    """The details panel's text for one IR node."""
    e = html.escape
    rows = [f"<h3 style='margin:0'>{e(node.primitive or node.kind)} "
            f"<span style='font-weight:normal'>{e(node.display_name or node.label)}</span></h3>"]
    if node.text:
        rows.append(f"<pre style='white-space:pre-wrap'>{e(node.text)}</pre>")
    if node.outputs:
        outs = ", ".join(f"{e(p.name)}: {e(p.type)}" for p in node.outputs)
        rows.append(f"<p><b>Results</b> {outs}</p>")
    if node.literals:
        lits = ", ".join(f"#{lit.position} = {e(lit.jax_text)}" for lit in node.literals)
        rows.append(f"<p><b>Literal operands</b> {lits}</p>")
    if node.params:
        params = "".join(f"<tr><td><b>{e(k)}</b></td><td><code>{e(v)}</code></td></tr>"
                         for k, v in node.params.items())
        rows.append(f"<p><b>Params</b></p><table>{params}</table>")
    where = f"line {node.line}" + (f", column {node.column + 1}" if node.column is not None
                                   else "") if node.line else "not from your code"
    rows.append(f"<p><b>Source</b> {where}</p>")
    if node.user_frames:
        rows.append(f"<p><b>Your functions</b> {e(' → '.join(node.user_frames))}</p>")
    if node.name_stack:
        rows.append(f"<p><b>Name stack</b> <code>{e(node.name_stack)}</code></p>")
    return "".join(rows)


class DetailsPanel(QTextBrowser):
    def show_node(self, node: Node | None, group_text: str = "",
                  values: list[dict] | None = None, problem: dict | None = None,
                  more: str = "") -> None:
        """A node's equation, params, shapes, line and name stack; ``values``: the statistics
        of its results from an evaluation (Run → Evaluate on values); ``problem``: the first
        NaN or Inf (or huge value) it made, in words, with what went in; ``more``: other
        sections (its sharding)."""
        if node is None:
            self.setHtml(f"<p>{html.escape(group_text)}</p>" if group_text else
                         "<p style='color:gray'>Select a node to see its equation, params, "
                         "shapes, source line and name stack.</p>")
        else:
            self.setHtml(node_details_html(node) + (values_html(values) if values else "")
                         + (problem_html(problem) if problem else "") + more)


BARS = "▁▂▃▄▅▆▇█"


def values_html(stats: list[dict]) -> str:
    """The Details panel's section for one equation's results."""
    rows = [stats_html(s, f"result {i}: ") for i, s in enumerate(stats)]
    return "<h4 style='margin-bottom:2px'>Values</h4>" + "<p>" + "</p><p>".join(rows) + "</p>"


def problem_html(problem: dict) -> str:
    """Where the values first went wrong: the words, and each input's statistics."""
    rows = [f"<p style='color:#b91c1c'>{html.escape(problem['words'])}</p>"]
    for i, s in enumerate(problem.get("inputs", [])):
        place = s.get("operand", i)  # its place among the equation's operands
        rows.append(f"<p>{stats_html(s, f'operand {place}: ')}</p>")
    title = {"nonfinite": "First NaN or Inf", "huge": "First huge value",
             "all_zero": "First all-zero gradient"}.get(problem["kind"], "First problem")
    return f"<h4 style='margin-bottom:2px'>{title} made here</h4>" + "".join(rows)


def stats_html(s: dict, head: str = "") -> str:
    """One array's statistics: type, moments, counts, histogram, small arrays' numbers."""
    e = html.escape
    head += f"{e(s['dtype'])}{s['shape']}"
    if s.get("iterations"):
        head += f", over {s['iterations']} iterations"
    cells = [f"<b>{head}</b>"]
    if "min" in s:
        cells.append(f"min {s['min']:.4g} · max {s['max']:.4g} · mean {s['mean']:.4g} · "
                     f"std {s['std']:.4g}")
    counts = [f"{s[k]} {w}" for k, w in (("nan", "NaN"), ("posinf", "+inf"),
                                         ("neginf", "-inf"), ("zeros", "zeros")) if s.get(k)]
    if counts:
        colour = "#b91c1c" if nonfinite(s) else "#374151"
        cells.append(f"<span style='color:{colour}'>{', '.join(counts)}</span>")
    if "histogram" in s:
        cells.append(f"<span style='font-family:monospace'>{_bars(s['histogram'])}</span>")
    if s.get("per_iteration"):
        cells.append(iterations_html(s["per_iteration"], s["iterations"]))
    if "values" in s:
        cells.append(f"<code>[{e(', '.join(str(v) for v in s['values']))}]</code>")
    return "<br>".join(cells)


def iterations_html(rows: list[dict], iterations: int) -> str:
    """Largest magnitude per iteration as bars, and the first iteration with a NaN or Inf."""
    top = max((r["absmax"] or 0.0 for r in rows), default=0.0) or 1.0
    drawn = rows[:120]
    bars = "".join("!" if r["nonfinite"] else BARS[min(len(BARS) - 1, round(
        (r["absmax"] or 0.0) / top * (len(BARS) - 1)))] for r in drawn)
    bad = next((r["i"] for r in rows if r["nonfinite"]), None)
    shown = f" (the first {len(drawn)} of {iterations})" if len(drawn) < iterations else ""
    text = f"per iteration{shown}, largest |x|: <span style='font-family:monospace'>" \
           f"{html.escape(bars)}</span>"
    if bad is not None:
        text += f" <span style='color:#b91c1c'>NaN or Inf from iteration {bad}</span>"
    return text


def _bars(histogram: dict) -> str:
    counts, edges = histogram["counts"], histogram["edges"]
    top = max(counts) or 1
    bars = "".join(BARS[min(len(BARS) - 1, round(c / top * (len(BARS) - 1)))] if c else " "
                   for c in counts)
    return f"{edges[0]:.3g} {bars} {edges[-1]:.3g}"



class WrapLabel(QLabel):
    """A word-wrapped label that never widens its column: long words may break after
    punctuation, and its minimum width stays small."""

    def __init__(self, text: str = "", parent=None, **kwargs):
        super().__init__(parent, **kwargs)
        self.setWordWrap(True)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(breakable(text))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Narrow: a word that cannot wrap (a long dotted key in a message) must not widen
        the editor's column, and with it the window, past the screen."""
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 120), hint.height())


class Banner(WrapLabel):
    """A coloured box of rich text under the editor; a click on a line link goes there."""

    lineRequested = Signal(int)

    def __init__(self, background: str, color: str, border: str, parent=None):
        super().__init__(parent=parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.setStyleSheet(f"QLabel {{ background: {background}; color: {color}; padding: 6px; "
                           f"border: 1px solid {border}; border-radius: 4px; }}")
        self.linkActivated.connect(lambda link: self.lineRequested.emit(int(link)))
        self.hide()


_LONG_WORD = re.compile(r"[^\s<>]{24,}")


def breakable(rich: str) -> str:
    """Rich text whose long words may wrap after ``. / _ , : ) ]`` (a zero-width space
    there), tags left whole."""
    def text_runs(match: re.Match) -> str:
        return re.sub(r"([./_,:)\]])(?=\S)", "\\1\u200b", match.group(0))
    return re.sub(r"(?<=>)[^<]+|^[^<]+", lambda m: _LONG_WORD.sub(text_runs, m.group(0)), rich)


class NotesPanel(Banner):
    """What the stage's trace did that a pure function would not (trace/purity.py): captured
    constants, prints at trace time, globals changed, effects. Click a line to go to it."""

    def __init__(self, parent=None):
        super().__init__("#fef9c3", "#713f12", "#facc15", parent)
        self.notes: list[dict] = []

    def show_notes(self, notes: list[dict]) -> None:
        self.notes = list(notes)
        self.setVisible(bool(self.notes))
        e = html.escape
        rows = []
        for n in self.notes:
            where = f"<a href='{n['line']}'>line {n['line']}</a>: " if n.get("line") else ""
            fix = f"<br><i>{e(n['hint'])}</i>" if n.get("hint") else ""
            rows.append(f"<b>{e(n['kind'])}</b> — {where}{e(n['message'])}{fix}")
        self.setText("<br>".join(rows))


class ErrorPanel(Banner):
    """The error of the last trace: what went wrong, where, and the fix. Click: go to the line."""

    def __init__(self, parent=None):
        super().__init__("#fde2e1", "#7f1d1d", "#f87171", parent)
        self.info: ErrorInfo | None = None

    def show_error(self, info: ErrorInfo | None, current: bool = True) -> None:
        """``current``: the error of the code as it is; else of the code before the last edit
        (shown greyed, until the next trace says whether it is still there)."""
        self.info = info
        if info is None:
            self.hide()
            return
        self.setEnabled(current)
        e = html.escape
        column = f", column {info.column + 1}" if info.line and info.column is not None else ""
        where = f"<a href='{info.line}'>line {info.line}{column}</a>: " if info.line else ""
        stage = f" <i>(while tracing {e(info.stage)})</i>" if info.stage else ""
        fix = f"<br><b>Fix:</b> {e(info.hint)}" if info.hint else ""
        before = "" if current else "<i>Before your last edit:</i> "
        self.setText(f"{before}<b>{where}</b>{e(info.message)}{stage}{fix}")
        self.setToolTip(info.details)
        self.show()
