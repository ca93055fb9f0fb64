"""The views' handlers of the document's events (``document.py``): one place says what a
new program, an edit, a trace and an error do to each view."""

from __future__ import annotations

from ..core.errors import ErrorInfo


class DocumentViews:
    """Subscribes a window's views to its document; one handler per event."""

    def __init__(self, window):
        self.w = window
        doc = window.document
        doc.program_changed.connect(self._on_program_changed)
        doc.inputs_changed.connect(self._on_inputs_changed)
        doc.traced.connect(self._on_traced)
        doc.error_changed.connect(self._on_error_changed)
        doc.title_changed.connect(window.setWindowTitle)

    def _on_program_changed(self) -> None:
        """Another program: nothing of the old one stays up."""
        w = self.w
        if w.diff_button.isChecked():
            w.diff_button.setChecked(False)
        w.stage_strip.set_stages([], 0)
        w.graph.clear()
        w.graph.set_stale(False)
        w.jaxpr.set_text("")
        w.legend.set_entries([])
        w.minimap.set_layout(None, needed=False)
        w.notes.show_notes([])
        w.details.show_node(None)
        w.devices.clear_results()
        w.devices.show_stage_in_use("")
        w.devices.show_compiled_for("", "")
        w.below.show_stages([], 0)
        w.timings.setText("")

    def _on_inputs_changed(self) -> None:
        """An edit: the device results were for other inputs."""
        self.w.devices.clear_results()

    def _on_traced(self) -> None:
        self.w.graph.set_stale(False)

    def _on_error_changed(self, info: ErrorInfo | None, current: bool) -> None:
        """The error panel shows it (greyed when it is from before the last edit); the
        editor marks its line only while it is current; a graph left up from an earlier
        trace is marked as such."""
        w, doc = self.w, self.w.document
        w.last_error = info
        w.errors.show_error(info, current)
        w.editor.set_error(info.line if info and current else None,
                           info.message if info and current else "")
        w.graph.set_stale(doc.has_stages and not doc.stages_current and info is not None
                          and info.kind != "cancelled")
        w.graph.set_empty_reason(
            "" if info is None or doc.has_stages else
            "No graph yet: the trace was cancelled. Ctrl+Enter traces again."
            if info.kind == "cancelled" else
            f"No graph yet: the trace failed{f' at line {info.line}' if info.line else ''} "
            f"(the error is under the editor). Fix it and the graph appears.")
        if info is not None and current:
            w.errorShown.emit(info)
