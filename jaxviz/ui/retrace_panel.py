"""Why jit traces again: argument sets, one per line, called in turn on jit(f); per call, a
cache hit or a new trace, why (in plain words and in JAX's), and the time it took."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
)

from ..worker import protocol as p


class RetracePanel(QGroupBox):
    requestMade = Signal(object)  # a RetraceRequest for the tracing worker

    def __init__(self, parent=None):
        super().__init__("Why does jit trace again?", parent)
        self.calls = QPlainTextEdit(placeholderText="one argument set per line, e.g.\n"
                                    "jnp.ones(3)\njnp.ones(3)\njnp.ones(4)")
        self.calls.setMaximumHeight(90)
        self.static = QLineEdit(placeholderText="static argument names, e.g. n, mode")
        self.run_btn = QPushButton("Explain retraces")
        self.out = QTextBrowser(minimumHeight=180)
        box = QVBoxLayout(self)
        for w in (self.calls, self.static, self.run_btn, self.out):
            box.addWidget(w)
        self.source_fields = lambda: ("", "", "", "<editor>")
        self.run_btn.clicked.connect(self.request)

    def request(self) -> None:
        source, function, args, filename = self.source_fields()
        lines = [line.strip() for line in self.calls.toPlainText().splitlines() if line.strip()]
        calls = lines or [args, args]
        names = [n.strip() for n in self.static.text().split(",") if n.strip()]
        self.out.setHtml("<i>calling…</i>")
        self.requestMade.emit(p.RetraceRequest(source=source, function=function, calls=calls,
                                               filename=filename, static_argnames=names))

    def show_result(self, result: p.RetraceResult) -> None:
        e = html.escape
        rows = []
        for c in result.calls:
            verdict = ("<b style='color:#b45309'>traced and compiled</b>" if c["traced"]
                       else "<b style='color:#15803d'>cache hit</b>")
            said = f"<pre style='color:#6b7280'>{e(c['jax'])}</pre>" if c["jax"] else ""
            rows.append(f"<p>{c['call'] + 1}. <code>{e(c['args'])}</code>: {verdict}, "
                        f"{c['seconds'] * 1e3:.1f} ms<br>{e(c['reason'])}</p>{said}")
        self.out.setHtml("".join(rows))

    def show_failure(self, message: str) -> None:
        self.out.setHtml(f"<p style='color:#b91c1c'>{html.escape(message)}</p>")
