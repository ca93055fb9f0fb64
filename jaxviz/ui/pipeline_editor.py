"""The pipeline editor: the pipeline as text, as a list to add, remove, reorder and set options
of its transforms, and presets. Text and list stay in step; the text is what gets traced."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.pipeline_spec import (
    BELOW,
    PRESETS,
    TRANSFORMS,
    PipelineError,
    format_pipeline,
    parse_pipeline,
)


class PipelineEditor(QWidget):
    changed = Signal(str)  # the pipeline text, on every valid change

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = QLineEdit(placeholderText="e.g. grad | vmap(in_axes=(0, None)) | jit")
        self.text.setToolTip("Transforms applied left to right, separated by |")
        self.presets = QComboBox()
        self.presets.addItem("Presets…")
        self.presets.addItems(list(PRESETS))
        # "Presets…" wide beside the text, not its longest entry (the list opens as wide as
        # its entries)
        self.presets.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.presets.setMinimumContentsLength(8)
        self.list = QListWidget()
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setMaximumHeight(34)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.options = QLineEdit(placeholderText="options of the selected transform, "
                                                 "e.g. in_axes=(0, None)")
        self.status = QLabel()
        self.status.setStyleSheet("color: #b91c1c")
        self._build()
        self._syncing = False

    def _build(self) -> None:
        add = QToolButton(text="+", toolTip="Add a transform")
        menu = QMenu(add)
        for name in TRANSFORMS:
            menu.addAction(name, lambda n=name: self._add(n))
        menu.addSeparator()  # below the jaxpr: they end the pipeline
        for name in BELOW:
            menu.addAction(name, lambda n=name: self._add(n))
        add.setMenu(menu)
        add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = menu
        remove = QToolButton(text="−", toolTip="Remove the selected transform")
        left = QToolButton(text="◀", toolTip="Move the selected transform earlier")
        right = QToolButton(text="▶", toolTip="Move the selected transform later")
        self.remove_btn, self.left_btn, self.right_btn = remove, left, right
        remove.clicked.connect(self._remove)
        left.clicked.connect(lambda: self._move(-1))
        right.clicked.connect(lambda: self._move(1))
        row1 = QHBoxLayout()
        row1.addWidget(QLabel("Pipeline"))
        row1.addWidget(self.text, 1)
        row1.addWidget(self.presets)
        row2 = QHBoxLayout()
        for w in (self.list, add, remove, left, right):
            row2.addWidget(w, 1 if w is self.list else 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.options)
        layout.addWidget(self.status)
        self.status.hide()
        self.text.textChanged.connect(self._on_text)
        self.presets.activated.connect(self._on_preset)
        self.list.currentRowChanged.connect(self._on_row)
        self.list.model().rowsMoved.connect(lambda *_: self._from_list())
        self.options.editingFinished.connect(self._on_options)

    # --- text ↔ list ----------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        self.text.setText(text)

    def pipeline(self) -> str:
        return self.text.text()

    def _on_text(self, text: str) -> None:
        try:
            specs = parse_pipeline(text)
        except PipelineError as exc:
            self.status.setText(str(exc))
            self.status.show()
            return
        self.status.hide()
        if not self._syncing:
            self._fill_list([str(s) for s in specs])
        self.changed.emit(text)

    def _fill_list(self, items: list[str]) -> None:
        row = self.list.currentRow()
        self.list.clear()
        for item in items:
            self.list.addItem(QListWidgetItem(item))
        if 0 <= row < self.list.count():
            self.list.setCurrentRow(row)

    def _from_list(self) -> None:
        text = " | ".join(self.list.item(i).text() for i in range(self.list.count()))
        self._syncing = True
        try:
            self.text.setText(format_pipeline(parse_pipeline(text)))
        except PipelineError as exc:
            self.status.setText(str(exc))
            self.status.show()
        finally:
            self._syncing = False

    # --- actions --------------------------------------------------------------------------

    def _add(self, name: str) -> None:
        self.list.addItem(name)
        self.list.setCurrentRow(self.list.count() - 1)
        self._from_list()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self._from_list()

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self._from_list()

    def _on_preset(self, index: int) -> None:
        if index > 0:
            self.text.setText(PRESETS[self.presets.itemText(index)])
        self.presets.setCurrentIndex(0)

    def _on_row(self, row: int) -> None:
        if row < 0:
            self.options.clear()
            return
        text = self.list.item(row).text()
        inside = text[text.find("(") + 1:-1] if "(" in text else ""
        self.options.setText(inside)

    def _on_options(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        name = self.list.item(row).text().split("(")[0]
        opts = self.options.text().strip()
        self.list.item(row).setText(f"{name}({opts})" if opts else name)
        self._from_list()
