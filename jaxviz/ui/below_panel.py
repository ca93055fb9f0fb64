"""The "XLA" side tab: below the jaxpr. Fusions, cost, memory and residuals of the stage shown,
each a table or chart whose rows select the equations in the graph.

It reads only the stages (``core/xla/below.py`` makes the reports); the window feeds it the stage
set and listens to ``selectNodes``. Memory and residuals need no compiled program; fusions and
cost appear once the pipeline ends in ``compile``, and until then the tab says how to get them.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.ir.graph import Stage
from ..core.xla import below
from ..core.xla.memory import timeline
from .panels import fit_tabs

ROWS = 200  # rows of the cost table
NAME_WIDTH = 170  # pixels, at most, for the first column (the full name is its tooltip)


class NumberItem(QTableWidgetItem):
    """A cell that sorts by its number, shown short (12.3k)."""

    def __init__(self, value: float):
        super().__init__(below.number(value))
        self.value = value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other) -> bool:
        return self.value < getattr(other, "value", 0)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(22)  # compact rows: more of them in view
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


def _fill(table: QTableWidget, rows: list[list], ids: list[list[str]],
          sort_by: int | None) -> None:
    """Rows of cells (numbers sort as numbers, largest first to begin with); each row
    remembers the node ids it selects."""
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, (cells, row_ids) in enumerate(zip(rows, ids)):
        for c, cell in enumerate(cells):
            item = NumberItem(cell) if isinstance(cell, (int, float)) else \
                QTableWidgetItem(str(cell))
            item.setData(Qt.ItemDataRole.UserRole, row_ids)
            item.setToolTip(str(cell))
            table.setItem(r, c, item)
    if sort_by is not None:  # a table of totals keeps its order
        table.setSortingEnabled(True)
        table.sortItems(sort_by, Qt.SortOrder.DescendingOrder)
    table.resizeColumnsToContents()
    # a long kernel name keeps its column readable without pushing the numbers out of view
    table.setColumnWidth(0, min(table.columnWidth(0), NAME_WIDTH))


class MemoryChart(QWidget):
    """Live bytes per equation in program order; the peak marked; a click picks a step."""

    stepClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(120)
        self.live: list[int] = []
        self.xla_total = 0
        self.peak: int | None = None
        self.chosen: int | None = None
        self.setToolTip("Live bytes while each equation runs; click to select what is alive")

    def set_steps(self, live: list[int], peak: int | None, xla_total: int = 0) -> None:
        """``xla_total``: what ``memory_analysis`` says the compiled program needs, drawn as a
        line to compare with (0: not compiled)."""
        self.live, self.peak, self.chosen, self.xla_total = live, peak, None, xla_total
        self.update()

    def _x(self, i: int) -> float:
        return 6 + (self.width() - 12) * (i / max(1, len(self.live) - 1))

    def _y(self, value: float) -> float:
        top = max(max(self.live, default=1), self.xla_total)
        return self.height() - 6 - (self.height() - 20) * (value / top if top else 0)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if not self.live:
            return
        points = QPolygonF([QPointF(self._x(i), self._y(v)) for i, v in enumerate(self.live)])
        painter.setPen(QPen(QColor("#2563eb"), 1.5))
        painter.drawPolyline(points)
        for index, colour in ((self.peak, "#dc2626"), (self.chosen, "#111827")):
            if index is not None:
                painter.setPen(QPen(QColor(colour), 1, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(self._x(index), 4),
                                 QPointF(self._x(index), self.height() - 4))
        painter.setPen(QColor("#dc2626"))
        if self.peak is not None:
            painter.drawText(8, 14, f"peak {below.number(self.live[self.peak])}B")
        if self.xla_total:
            y = self._y(self.xla_total)
            painter.setPen(QPen(QColor("#15803d"), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(6, y), QPointF(self.width() - 6, y))
            painter.drawText(int(self.width() / 2), int(y) - 3,
                             f"XLA needs {below.number(self.xla_total)}B")

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.live:
            share = (event.position().x() - 6) / max(1.0, self.width() - 12)
            self.chosen = min(len(self.live) - 1, max(0, round(share * (len(self.live) - 1))))
            self.update()
            self.stepClicked.emit(self.chosen)


class BelowPanel(QWidget):
    """Fusions, cost, memory and residuals of the stage shown."""

    selectNodes = Signal(list)  # IR node ids of the current stage to select
    compileWanted = Signal()  # "Add | compile" was clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header = QLabel(wordWrap=True)
        self.add_compile = QPushButton("Add '| compile' to the pipeline")
        self.add_compile.clicked.connect(self.compileWanted)
        self.tabs = QTabWidget()
        self.fusions = _table(["kernel", "kind", "equations", "FLOPs"])
        self.cost = _table(["equation", "primitive", "FLOPs", "transc.", "bytes", "line"])
        self.cost_totals = _table(["total", "FLOPs", "transc.", "bytes"])
        self.cost_totals.setMaximumHeight(118)
        self.cost_totals.setToolTip("Ours counts every operand and result as if nothing were "
                                    "fused; XLA counts what its kernels read and write, and "
                                    "each copy of an op it duplicated into several fusions")
        self.chart = MemoryChart()
        self.memory_text = QLabel(wordWrap=True)
        self.alive = _table(["alive", "type", "bytes", "made by"])
        self.residuals = _table(["value", "type", "bytes", "made by", "line", "readers"])
        self.residual_text = QLabel(wordWrap=True)
        self.collectives = _table(["collective", "bytes", "over", "equations", "line"])
        self.collective_text = QLabel(wordWrap=True)
        self._timeline = None
        self._names: dict[str, str] = {}
        self._makers: dict[str, str] = {}
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.add_compile)
        layout.addWidget(self.tabs, 1)
        # five pages in a column a third of the window wide: their names down the left side,
        # whole, rather than across the top, cut to "F…s"
        self.tabs.setTabPosition(QTabWidget.TabPosition.West)
        fit_tabs(self.tabs.tabBar())
        for title, widgets in (("Fusions", [self.fusions]),
                               ("Cost", [self.cost_totals, self.cost]),
                               ("Memory", [self.chart, self.memory_text, self.alive]),
                               ("Residuals", [self.residual_text, self.residuals]),
                               ("Collectives", [self.collective_text, self.collectives])):
            page = QWidget()
            box = QVBoxLayout(page)
            for w in widgets:
                box.addWidget(w, 1 if isinstance(w, QTableWidget) else 0)
            self.tabs.setTabToolTip(self.tabs.addTab(page, title), title)
        for table in (self.fusions, self.cost, self.residuals, self.alive, self.collectives):
            table.itemClicked.connect(lambda item: self.selectNodes.emit(
                list(item.data(Qt.ItemDataRole.UserRole) or [])))
        self.chart.stepClicked.connect(self._on_step)

    TAB_OF = {"fusion": 0, "flops": 1, "transcendentals": 1, "bytes": 1, "memory": 2,
              "residuals": 3, "collectives": 4, "communication": 4}

    def focus_for(self, overlay: str) -> None:
        """Show the tab that goes with an overlay (Cost for FLOPs, ...)."""
        if overlay in self.TAB_OF:
            self.tabs.setCurrentIndex(self.TAB_OF[overlay])

    # --- filling --------------------------------------------------------------------------

    def show_stages(self, stages: list[Stage], index: int) -> None:
        """Stage ``index`` of this trace is the one shown: its reports are made when the tab
        is looked at (on a 26,000-equation stage they take a few tenths of a second, which
        the window would otherwise spend on every stage switch, tab open or not)."""
        self._wanted = (stages, index)
        if self.isVisible():
            self._refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._refresh()

    def _refresh(self) -> None:
        wanted, self._wanted = getattr(self, "_wanted", None), None
        if wanted is not None:
            self._show(*wanted)

    def _show(self, stages: list[Stage], index: int) -> None:
        """What there is to show for stage ``index`` of this trace."""
        stage = stages[index] if 0 <= index < len(stages) else None
        compiled, analysed = below.compiled_of(stages), below.analysed_of(stages)
        on_analysed = stage is not None and analysed is stage
        self.add_compile.setVisible(compiled is None)
        if stage is None or not stage.is_jaxpr:
            self.header.setText(self._below_header(stage) if stage else "")
            self._clear()
            if stage is not None and stage is compiled and analysed is not None:
                self._show_kernels(analysed, compiled)
            return
        self.header.setText(self._jaxpr_header(stage, compiled, on_analysed))
        self._show_fusions(stage, compiled if on_analysed else None)
        self._show_cost(stage, compiled if on_analysed else None)
        self._show_memory(stage, compiled if on_analysed else None)
        self._show_residuals(stage)
        self._show_collectives(compiled if on_analysed else None)

    def _show_collectives(self, compiled: Stage | None) -> None:
        """The collectives XLA's partitioner inserted, each row selecting its equations."""
        found = compiled.reference.get("collectives", []) if compiled is not None else []
        parts = compiled.reference.get("partitions", 1) if compiled is not None else 1
        self.collective_text.setText(
            f"{len(found)} collective{'' if len(found) == 1 else 's'}, bytes per device "
            f"(jaxviz sharding says more: edge "
            f"shardings, costs per device, what-if)" if parts > 1 else
            "Not partitioned: give jit in_shardings (e.g. jit(in_shardings=P('data'))) and "
            "simulate devices to see the collectives XLA inserts.")
        rows = [[c["kind"], c["bytes"], "×".join(c["axes"]) or "all",
                 ", ".join(c["equation_names"]) or c["reason"],
                 ", ".join(str(n) for n in c["source_lines"] if n)] for c in found]
        _fill(self.collectives, rows, [c["equations"] for c in found], sort_by=None)

    def _below_header(self, stage: Stage) -> str:
        ref = stage.reference
        platform = f" for {ref['platform']}" if ref.get("platform") else ""
        return (f"{stage.title}: {stage.count_text()}{platform}; its kernels below, with the "
                f"equations of the jaxpr each runs. Select the stage before it for cost, "
                f"memory and residuals.")

    def _jaxpr_header(self, stage: Stage, compiled: Stage | None, on_analysed: bool) -> str:
        if compiled is None:
            return ("Memory and residuals are read from the jaxpr. For fusions and cost, end "
                    "the pipeline in compile (e.g. grad | jit | compile).")
        if not on_analysed:
            return (f"Fusions and cost are for {compiled.title}'s source stage; select it "
                    f"(the stage before {compiled.title}).")
        via = compiled.reference.get("map_via", "tag")
        return (f"{stage.title} compiled for {compiled.reference.get('platform', '?')}; each "
                f"equation mapped to its kernel by {'tags' if via == 'tag' else via}.")

    def _clear(self) -> None:
        for table in (self.fusions, self.cost, self.residuals, self.alive, self.collectives):
            table.setRowCount(0)
        self.chart.set_steps([], None)
        self.cost_totals.setRowCount(0)
        for label in (self.memory_text, self.residual_text):
            label.setText("")

    def _show_fusions(self, stage: Stage, compiled: Stage | None) -> None:
        if compiled is None:
            self.fusions.setRowCount(0)
            return
        report = below.fusion_report(stage, compiled)
        rows = [[name, info["kind"], len(info["equations"]), info["flops"]]
                for name, info in report["kernels"].items()]
        ids = [info["equations"] for info in report["kernels"].values()]
        gone = [nid for nid, eq in report["equations"].items()
                if eq["status"] in ("dead", "folded")]
        if gone:
            rows.append(["removed by XLA (dead or folded)", "", len(gone), 0.0])
            ids.append(gone)
        _fill(self.fusions, rows, ids, sort_by=2)

    def _show_kernels(self, source: Stage, compiled: Stage) -> None:
        """On the compiled stage: its kernels, each row selecting the kernel's node."""
        report = below.fusion_report(source, compiled)
        node_of = {n.outputs[0].name: n.id for n in compiled.graph.walk_nodes() if n.outputs}
        rows = [[name, info["kind"], len(info["equations"]), info["flops"]]
                for name, info in report["kernels"].items()]
        ids = [[node_of[name]] if name in node_of else [] for name in report["kernels"]]
        _fill(self.fusions, rows, ids, sort_by=2)
        self.tabs.setCurrentIndex(0)

    def _show_cost(self, stage: Stage, compiled: Stage | None) -> None:
        if not stage.costs:
            self.cost.setRowCount(0)
            self.cost_totals.setRowCount(0)
            return
        report = below.cost_report(stage, compiled)
        totals = [("ours, every equation", report["ours"]), ("ours, XLA kept",
                                                          report["ours_kept"]),
                  ("ours × XLA's copies", report["ours_copied"])]
        xla = report["xla"]
        rows = [[name, t["flops"], t["transcendentals"], t["bytes_read"] + t["bytes_written"]]
                for name, t in totals if t]
        if xla:
            rows.append(["XLA cost_analysis", xla.get("flops", 0.0),
                         xla.get("transcendentals", 0.0), xla.get("bytes accessed", 0.0)])
        _fill(self.cost_totals, rows, [[] for _ in rows], sort_by=None)
        rows = [[r["name"], r["primitive"], r["flops"], r["transcendentals"],
                 r["bytes_read"] + r["bytes_written"], r["line"] or ""]
                for r in report["top"][:ROWS]]
        _fill(self.cost, rows, [[r["id"]] for r in report["top"][:ROWS]], sort_by=2)

    def _show_memory(self, stage: Stage, compiled: Stage | None) -> None:
        self._timeline = timeline(below.program_graph(stage))
        self._names = below.value_names(stage)
        report = below.memory_report(stage, compiled, self._timeline, self._names)
        self._makers = {n.id: n.primitive for n in stage.graph.walk_nodes()}
        xla = report["xla"]
        needed = sum(xla.get(f"{k}_size_in_bytes", 0) for k in ("argument", "output", "temp")) \
            - xla.get("alias_size_in_bytes", 0)
        self.chart.set_steps([s.live for s in self._timeline.steps], self._timeline.peak_index,
                             needed)
        text = [line.strip() for line in below.memory_text(report)[1:]
                if not line.startswith("      ")]  # the largest values go in the table
        self.memory_text.setText("\n".join(text))
        if self._timeline.peak_index is not None:
            self._list_alive(self._timeline.peak_index)

    def _list_alive(self, index: int) -> None:
        """The values alive while step ``index`` runs, largest first."""
        alive = self._timeline.alive_at(index)
        rows = [[v.name, v.type, v.bytes, self._makers.get(v.producer) or
                 f"input {self._names.get(v.producer, '')}"] for v in alive]
        _fill(self.alive, rows, [[v.producer] for v in alive], sort_by=2)

    def _on_step(self, index: int) -> None:
        if self._timeline is not None:
            self._list_alive(index)
            self.selectNodes.emit(self._timeline.alive_nodes(index))

    def _show_residuals(self, stage: Stage) -> None:
        report = below.residual_report(stage, self._names)
        rows = [[r["name"], r["type"], r["bytes"], r["made_by"], r["line"] or "",
                 len(r["readers"])] for r in report["residuals"]]
        ids = [[r["producer"], *r["readers"]] for r in report["residuals"]]
        _fill(self.residuals, rows, ids, sort_by=2)
        lines = below.residual_text(report)
        self.residual_text.setText("\n".join(lines[:1] + [t for t in lines
                                                          if t.startswith("JAX")]))
