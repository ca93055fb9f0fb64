"""The device panel: the worker's devices, the function under pmap across them, eager vs jit.

It builds requests and shows results; the main window sends them to the tracing worker (the
only place JAX runs) and hands the answers back.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..worker import protocol as p
from ..worker.bench_stats import spread
from .panels import WrapLabel
from .retrace_panel import RetracePanel


class TimingChart(QWidget):
    """Two bars, eager and jit: the median, with a whisker from the fastest to the slowest."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(90)
        self.rows: list[tuple[str, dict, QColor]] = []

    def set_times(self, eager: list[float], jit: list[float]) -> None:
        self.rows = [("eager", spread(eager), QColor("#94a3b8")),
                     ("jit", spread(jit), QColor("#2563eb"))] if eager and jit else []
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.rows:
            return
        painter = QPainter(self)
        top = max(s["max"] for _, s, _ in self.rows) or 1.0
        label_w, h = 48, (self.height() - 10) / len(self.rows)
        width = self.width() - label_w - 90
        for i, (name, s, color) in enumerate(self.rows):
            y = 5 + i * h
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(0, y, label_w - 6, h), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, name)
            bar = QRectF(label_w, y + h * 0.2, width * s["median"] / top, h * 0.6)
            painter.fillRect(bar, color)
            painter.setPen(QPen(QColor("#111827"), 1.2))
            mid = y + h / 2
            painter.drawLine(int(label_w + width * s["min"] / top), int(mid),
                             int(label_w + width * s["max"] / top), int(mid))
            painter.drawText(QRectF(value_x(s, top, width, label_w), y, 90, h),
                             Qt.AlignmentFlag.AlignVCenter,
                             f"{s['median'] * 1e3:.3f} ms")


def value_x(s: dict, top: float, width: float, left: float) -> float:
    """Where a timing row's value is written: past its bar and past its whisker (the slowest
    run), so that no line runs through its digits."""
    return left + width * max(s["median"], s["max"]) / top + 6


class DevicePanel(QWidget):
    requestMade = Signal(object)  # a request for the tracing worker
    hostDevicesChanged = Signal(int)
    showStage = Signal(dict)  # the pmap stage's IR

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["id", "platform", "kind", "process", "memory"])
        self.table.verticalHeader().hide()
        self.host_devices = QSpinBox(minimum=1, maximum=64, value=4)
        self.apply_btn = QPushButton("Apply", toolTip="restarts the worker; your session stays")
        self.mode = QComboBox()
        self.mode.addItems(["split", "replicate", "as-is"])
        self.mode.setToolTip("split: cut each argument's leading axis across the devices; "
                             "replicate: the same arguments on every device; as-is: the "
                             "arguments already carry a leading device axis")
        self.axis_name = QLineEdit("i", toolTip="the axis name psum/pmean/all_gather use")
        self.run_pmap_btn = QPushButton("Run pmap")
        self.graph_btn = QPushButton("Show its graph", enabled=False,
                                     toolTip="the jaxpr of what ran, as a stage")
        self.pmap_out = QTextBrowser()
        self.bench_btn = QPushButton("Time eager vs jit")
        self.bench_text = WrapLabel()
        self.chart = TimingChart()
        self.compiled_for = WrapLabel()  # the platform a compile stage targets
        self.stage: dict | None = None
        self.source_fields = lambda: ("", "", "", "<editor>")
        # the pipeline and the stage shown: pmap and the timing run that stage's function
        self.stage_fields = lambda: ("", -1)
        self.runs_what = WrapLabel()
        self._stage_title = ""  # the stage whose function the runs below were of
        self._build()

    def _build(self) -> None:
        devices = QGroupBox("Local devices")
        box = QVBoxLayout(devices)
        box.addWidget(self.table)
        box.addWidget(self.compiled_for)
        self.compiled_for.hide()
        row = QHBoxLayout()
        row.addWidget(QLabel("CPU devices", toolTip="Simulated host CPU devices "
                             "(XLA_FLAGS=--xla_force_host_platform_device_count=N)"))
        row.addWidget(self.host_devices)
        row.addWidget(self.apply_btn)
        box.addLayout(row)
        pmap = QGroupBox("pmap across devices")
        form = QFormLayout(pmap)
        form.addRow(self.runs_what)
        form.addRow("Inputs", self.mode)
        form.addRow("Axis name", self.axis_name)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_pmap_btn)
        buttons.addWidget(self.graph_btn)
        form.addRow(buttons)
        form.addRow(self.pmap_out)
        bench = QGroupBox("Eager vs jit", toolTip="warm-up excluded, block_until_ready on "
                          "every result")
        bbox = QVBoxLayout(bench)
        bbox.addWidget(self.bench_btn)
        bbox.addWidget(self.chart)
        bbox.addWidget(self.bench_text)
        self.retrace = RetracePanel()
        self.retrace.requestMade.connect(self.requestMade.emit)
        layout = QVBoxLayout(self)
        for w in (devices, pmap, bench, self.retrace):
            layout.addWidget(w)
        self.apply_btn.clicked.connect(lambda: self.hostDevicesChanged.emit(
            self.host_devices.value()))
        self.run_pmap_btn.clicked.connect(self.request_pmap)
        self.bench_btn.clicked.connect(self.request_bench)
        self.graph_btn.clicked.connect(lambda: self.stage and self.showStage.emit(self.stage))

    # --- requests -------------------------------------------------------------------------

    def show_stage_in_use(self, title: str) -> None:
        """Say which function pmap and the timing run: the stage shown, on its arguments.
        Results of another stage's run go."""
        if title != self._stage_title:
            self.clear_results()
        self._stage_title = title
        self.runs_what.setText(f"Runs <b>{html.escape(title)}</b>, the stage shown, on its "
                               f"arguments; pick another stage to run that one." if title
                               else "")

    def request_pmap(self) -> None:
        source, function, args, filename = self.source_fields()
        pipeline, stage = self.stage_fields()
        self.pmap_out.setHtml("<i>running…</i>")
        self.requestMade.emit(p.PmapRequest(source=source, function=function, args=args,
                                            filename=filename, mode=self.mode.currentText(),
                                            axis_name=self.axis_name.text() or "i",
                                            pipeline=pipeline, stage=stage))

    def request_bench(self) -> None:
        source, function, args, filename = self.source_fields()
        pipeline, stage = self.stage_fields()
        self.bench_text.setText("timing…")
        self.requestMade.emit(p.BenchRequest(source=source, function=function, args=args,
                                             filename=filename, pipeline=pipeline,
                                             stage=stage))

    def clear_results(self) -> None:
        """Results of another program or another stage: gone (a new example, new code)."""
        self.pmap_out.clear()
        self.bench_text.setText("")
        self.chart.set_times([], [])
        self.stage = None
        self.graph_btn.setEnabled(False)
        self.retrace.out.clear()

    # --- results --------------------------------------------------------------------------

    def show_devices(self, result: p.DevicesResult) -> None:
        self.table.setRowCount(len(result.devices))
        for r, d in enumerate(result.devices):
            memory = f"{d['memory_bytes'] / 2**30:.1f} GiB" if d["memory_bytes"] else "—"
            for c, value in enumerate((d["id"], d["platform"], d["kind"], d["process_index"],
                                       memory)):
                self.table.setItem(r, c, QTableWidgetItem(str(value)))
        self.table.resizeColumnsToContents()

    def show_compiled_for(self, title: str, platform: str, via: str = "") -> None:
        """The platform XLA compiled the pipeline's ``compile`` stage for ("" hides it)."""
        self.compiled_for.setVisible(bool(platform))
        self.compiled_for.setText(f"{title} is compiled for <b>{platform}</b> (the default "
                                  f"backend of the worker)" if platform else "")

    def show_pmap(self, result: p.PmapResult) -> None:
        e = html.escape
        rows = []
        for dev in result.outputs:
            for out in dev["outputs"]:
                rows.append(f"<tr><td>{dev['index']}</td><td>{e(dev.get('device', ''))}</td>"
                            f"<td>{e(out['path'])}</td><td>{e(out['dtype'])}{out['shape']}</td>"
                            f"<td><pre>{e(out['preview'])}</pre></td></tr>")
        self.pmap_out.setHtml(
            f"<p><b>{e(result.function) or 'pmap'} on {result.devices} devices</b>: "
            f"{result.wall_time * 1e3:.2f} ms per call "
            f"(compile and first run {result.compile_time * 1e3:.0f} ms more)</p>"
            + (f"<p><i>{e(result.note)}</i></p>" if result.note else "") +
            "<table border='1' cellspacing='0' cellpadding='3'><tr><th>#</th><th>device</th>"
            "<th>output</th><th>type</th><th>values</th></tr>" + "".join(rows) + "</table>")
        self.stage = result.stage
        self.graph_btn.setEnabled(result.stage is not None)

    def show_bench(self, result: p.BenchResult) -> None:
        self.chart.set_times(result.eager, result.jit)
        eager, jit = spread(result.eager), spread(result.jit)
        what = f"{result.function}: " if result.function else ""
        self.bench_text.setText(
            f"{what}eager {eager['median'] * 1e3:.3f} ms, jit {jit['median'] * 1e3:.3f} ms "
            f"median of "
            f"{len(result.jit)} (speed-up {eager['median'] / jit['median']:.2f}×); "
            f"compile {result.compile_time * 1e3:.1f} ms, apart")

    def show_failure(self, request, message: str) -> None:
        if isinstance(request, p.RetraceRequest):
            self.retrace.show_failure(message)
        if isinstance(request, p.PmapRequest):
            self.pmap_out.setHtml(f"<p style='color:#b91c1c'>{html.escape(message)}</p>")
        elif isinstance(request, p.BenchRequest):
            self.bench_text.setText(message)
