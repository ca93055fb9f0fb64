"""Diff mode: two stages side by side, coloured by what the transformation did, in step.

Selecting an equation on one side selects its counterpart on the other. Buttons and keys
(Alt+Left, Alt+Right) step to the previous or next transformation; the summary and the text
diff of the two jaxprs follow.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..core.diff.stages import StageDiff, diff_stages
from ..core.diff.view import DIFF_NAMES, DIFF_STYLES, decorate, text_diff
from ..core.model.styles import NodeStyle
from ..core.model.tooltips import search_texts, tooltips
from .graph_view import GraphView
from .legend import LegendStrip
from .panels import WrapLabel


def diff_legend() -> list[tuple[str, NodeStyle]]:
    return [(f"{sign} {DIFF_NAMES[c]}", NodeStyle("box", fill, border, dash, 2.0))
            for c, (fill, border, dash, sign) in DIFF_STYLES.items()]


class DiffPanel(QWidget):
    stepRequested = Signal(int)  # -1 or +1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = WrapLabel()  # two long stage names must not widen the graph's column
        self.title.setStyleSheet("font-weight: bold; font-size: 13px")
        self.summary = WrapLabel()
        self.compared = WrapLabel()  # Run → Compare values: the numbers of the two sides
        self.compared.setVisible(False)
        self.compared_of: dict[tuple[str, str], str] = {}  # (before, after) titles → text
        self.prev_btn = QPushButton("◀ Previous step", toolTip="Alt+Left")
        self.next_btn = QPushButton("Next step ▶", toolTip="Alt+Right")
        self.prev_btn.clicked.connect(lambda: self.stepRequested.emit(-1))
        self.next_btn.clicked.connect(lambda: self.stepRequested.emit(1))
        self.before, self.after = GraphView(), GraphView()
        self.legend = LegendStrip()
        self.legend.set_entries(diff_legend())
        self.text = QTextBrowser()
        self.diff: StageDiff | None = None
        self._syncing = False
        self._build()
        self.before.nodesSelected.connect(lambda ids: self._sync(ids, "before"))
        self.after.nodesSelected.connect(lambda ids: self._sync(ids, "after"))

    def _build(self) -> None:
        head = QHBoxLayout()
        head.addWidget(self.prev_btn)
        head.addWidget(self.title, 1, Qt.AlignmentFlag.AlignCenter)
        head.addWidget(self.next_btn)
        graphs = QSplitter(Qt.Orientation.Horizontal)
        graphs.addWidget(self.before)
        graphs.addWidget(self.after)
        beside = QWidget()
        column = QVBoxLayout(beside)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(graphs, 1)
        column.addWidget(self.legend)
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(beside)
        body.addWidget(self.text)
        body.setSizes([600, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(self.compared)
        layout.addWidget(body, 1)

    def show_step(self, stages, layouts, models, index: int) -> StageDiff:
        """Show stage index - 1 → index."""
        a, b = stages[index - 1], stages[index]
        self.diff = diff_stages(a, b)
        self._show_compared_of((a.title, b.title))
        c = self.diff.counts
        self.title.setText(f"{a.title}  →  {b.title}")
        self.summary.setText(f"{self.diff.summary}<br>"
                             f"<b>+{c['added']}</b> added · <b>−{c['removed']}</b> removed · "
                             f"<b>~{c['changed']}</b> changed · <b>={c['unchanged']}</b> "
                             f"unchanged" + (f" · wrapped in {len(self.diff.wrappers)}"
                                             if self.diff.wrappers else ""))
        for view, i, classes in ((self.before, index - 1, self.diff.classes_before()),
                                 (self.after, index, self.diff.classes_after())):
            model = models[i]
            visible = model.visible()
            view.show_layout(decorate(layouts[i], classes), tooltips(model, visible),
                             search_texts(model, visible))
            view.placement = "top-left"  # both sides from the inputs, not each from its start
            view.show_top_left()
        self.prev_btn.setEnabled(index > 1)
        self.next_btn.setEnabled(index < len(stages) - 1)
        self._show_text(a.jaxpr, b.jaxpr)
        return self.diff

    def show_compared(self, text: str, pair: tuple[str, str]) -> None:
        """The values of two stages compared (``value_stats.compared_lines``), kept for when
        diff mode shows that pair (``pair``: the titles, before and after)."""
        self.compared_of = {pair: text}  # one comparison at a time: the last asked for
        if self.diff is not None:
            self._show_compared_of((self.diff.before, self.diff.after))

    def _show_compared_of(self, pair: tuple[str, str]) -> None:
        text = self.compared_of.get(pair)
        self.compared.setVisible(text is not None)
        if text is not None:
            rows = [html.escape(line.lstrip()) for line in text.splitlines()]
            indent = [(len(line) - len(line.lstrip())) // 2 for line in text.splitlines()]
            self.compared.setText("<br>".join("&nbsp;&nbsp;" * n + r
                                              for n, r in zip(indent, rows)))

    def _show_text(self, before: str, after: str) -> None:
        colours = {"+": "#dcfce7", "-": "#fee2e2", "@": "#f3f4f6", " ": "transparent"}
        rows = "".join(f"<div style='background:{colours[k]}; white-space:pre'>"
                       f"{html.escape(t)}</div>" for k, t in text_diff(before, after))
        self.text.setHtml(f"<div style='font-family:monospace'>{rows or 'identical text'}</div>")

    def _sync(self, ids: list[str], side: str) -> None:
        """Select the counterparts of a selection on the other side."""
        if self._syncing or self.diff is None:
            return
        other = self.after if side == "before" else self.before
        partners = [p for i in ids if (p := self.diff.partner(i, side))]
        self._syncing = True
        other.select_nodes(partners)
        self._syncing = False
