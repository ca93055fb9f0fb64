"""The main window's file side: the session (autosave, examples), .py files and recent files,
and export of graphs.

A controller the window holds (``window.files``), not a mixin of it; it uses the window's
views and services."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..core.errors import ErrorInfo
from ..core.examples import Example, header_entry
from ..core.export.images import FORMATS
from ..core.ir.graph import to_dict
from ..core.source import SourceError, read_python
from ..worker import protocol as p
from .session_store import Session, add_recent


class FilesController:
    """Session, files and export, for the window ``w``."""

    def __init__(self, window):
        self.w = window

    # --- session and files ----------------------------------------------------------------

    def load_session(self, s: Session) -> None:
        self.w.editor.setPlainText(s.source)
        self.w._refresh_functions(s.function)
        self.w.args.setText(s.args)
        self.w.pipeline.set_text(s.pipeline)
        self.w.lr_action.setChecked(s.rankdir == "LR")
        self.w.labels_action.setChecked(s.edge_labels)
        self.w.document.load(s.file, s.file)

    def new_file(self) -> None:
        """An empty module to start from (the last text stays in the session until replaced;
        a saved file is untouched)."""
        self.w.session.file = ""
        self.w.editor.setReadOnly(False)
        self.replace_text("def f(x):\n    return jnp.sin(x) * 2.0\n")
        self.w._refresh_functions("f", new_text=True)
        self.w.args.setText("1.0")
        self.w.document.load("")

    def show_input_error(self, message: str) -> None:
        self.w.document.answered(ErrorInfo(kind="input", message=message))

    def show_not_retraced(self) -> None:
        """The restored code was being traced when jaxviz last stopped: say so, trace later
        (the trace that loading the text scheduled is called off)."""
        self.w.trace_timer.stop()
        self.w.document.answered(
            ErrorInfo(
                kind="crash",
                message="jaxviz stopped while it was tracing this code last time, "
                "so it was not traced again on launch.",
                hint="press Ctrl+Enter to trace it",
            )
        )

    def current_session(self) -> Session:
        s = self.w.session
        s.source, s.function = self.w.editor.toPlainText(), self.w.function.currentText()
        s.args, s.pipeline = self.w.args.text(), self.w.pipeline.pipeline()
        s.rankdir = "LR" if self.w.lr_action.isChecked() else "TB"
        s.edge_labels = self.w.labels_action.isChecked()
        return s

    def autosave(self) -> None:
        self.w.store.save(self.current_session())

    def replace_text(self, text: str) -> None:
        """New text in the editor as one edit: what the user typed comes back with Ctrl+Z
        (``setPlainText`` would clear the undo history with it)."""
        typed = self.w.document.edited and self.w.editor.toPlainText().strip()
        cursor = self.w.editor.textCursor()
        cursor.beginEditBlock()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        cursor.movePosition(cursor.MoveOperation.Start)
        self.w.editor.setTextCursor(cursor)
        if typed:
            self.w.statusBar().showMessage(
                "The code you typed was replaced: Ctrl+Z brings it back", 10000
            )

    def load_example(self, example: Example) -> None:
        self.w.session.file = ""
        self.replace_text(example.source)
        self.w._refresh_functions(example.function, new_text=True)
        self.w.args.setText(example.args)
        self.w.pipeline.set_text(example.pipeline)
        self.w.document.load(example.title)
        self.w.trace()

    def open_file(
        self,
        path: str,
        function: str | None = None,
        args: str | None = None,
        pipeline: str | None = None,
    ) -> None:
        try:
            source = read_python(path)
        except SourceError as exc:
            QMessageBox.warning(self, "jaxviz", str(exc))
            return
        self.w.session.file = str(Path(path).resolve())
        add_recent(self.w.session, self.w.session.file)
        entry = header_entry(source, function or "") if args is None else None
        if entry is not None:  # an example's own call (``# jaxviz-example: {...}``)
            function = function or entry.get("function")
            args = entry.get("args", "")
            pipeline = pipeline if pipeline is not None else entry.get("pipeline", "")
        self.w.editor.setPlainText(source)
        self.w._refresh_functions(function, new_text=True)
        if args is not None:
            self.w.args.setText(args)
        if pipeline is not None:
            self.w.pipeline.set_text(pipeline)
        self.update_recent()
        self.w.document.load(self.w.session.file, self.w.session.file)
        self.w.trace()

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a Python file", "", "Python (*.py)")
        if path:
            self.open_file(path)

    def save(self) -> None:
        if not self.w.session.file:
            return self.save_as()
        try:
            Path(self.w.session.file).write_text(self.w.editor.toPlainText(), encoding="utf-8")
            self.w.document.saved(self.w.session.file)
            self.w.statusBar().showMessage(f"Saved {self.w.session.file}", 3000)
        except OSError as exc:
            QMessageBox.warning(
                self, "jaxviz", f"Cannot save {self.w.session.file}: {exc.strerror}"
            )

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save as", "", "Python (*.py)")
        if path:
            self.w.session.file = path
            add_recent(self.w.session, path)
            self.update_recent()
            self.save()

    def update_recent(self) -> None:
        self.w.recent_menu.clear()
        for path in self.w.session.recent:
            self.w.recent_menu.addAction(path, lambda p=path: self.open_file(p))
        self.w.recent_menu.setEnabled(bool(self.w.session.recent))

    # --- export ---------------------------------------------------------------------------

    def export_items(self, indices: list[int], path: Path) -> list[p.ExportItem]:
        items = []
        for i in indices:
            target = path if len(indices) == 1 else path.with_name(f"{path.stem}_{i}{path.suffix}")
            items.append(
                p.ExportItem(
                    self.w.set.layouts[i].to_dict(), to_dict(self.w.set.stages[i]), str(target)
                )
            )
        return items

    def export_to(self, path: str, all_stages: bool = False) -> None:
        """Export (same code as the CLI, run in the layout worker)."""
        indices = list(range(len(self.w.set.stages))) if all_stages else [self.w.set.current]
        missing = [i for i in indices if self.w.set.layouts[i] is None]
        if missing:
            self.w.drawing.request_layouts(missing, then=lambda: self.export_to(path, all_stages))
            return
        self.w.layouter.submit(
            p.ExportRequest(
                self.export_items(indices, Path(path)),
                edge_labels=self.w.labels_action.isChecked(),
                confirmed=[] if all_stages else [path],
            )
        )

    def ask_export_path(self, title: str) -> str:
        filters = ";;".join(f"{f.upper()} (*.{f})" for f in FORMATS)
        stem = self.w.set.stages[self.w.set.current].title if self.w.set.stages else "graph"
        safe = "".join(c if c.isalnum() else "_" for c in stem).strip("_")
        path, _ = QFileDialog.getSaveFileName(self, title, f"{safe}.png", filters)
        return path

    def export_current(self) -> None:
        if self.w.set.stages and (path := self.ask_export_path("Export this stage")):
            self.export_to(path)

    def export_all(self) -> None:
        if self.w.set.stages and (
            path := self.ask_export_path("Export all stages (_N is added to each name)")
        ):
            self.export_to(path, all_stages=True)

    def copy_image(self) -> None:
        QGuiApplication.clipboard().setImage(self.w.graph.render_image())
        self.w.statusBar().showMessage("Graph image copied to the clipboard", 3000)
