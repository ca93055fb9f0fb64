"""The legend as a strip under the graph (never over it): one entry per style the picture
shows, drawn with the same boxes as the nodes, flowing in rows as wide as the graph."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..core.model.styles import FADED_ALPHA, TEXT_COLOR

ROW, PAD, SWATCH, GAP = 18, 6, 18, 16  # pixels


class LegendStrip(QWidget):
    """(meaning, NodeStyle) entries; hidden when there are none."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.entries: list = []
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        font = QFont(self.font())
        font.setPixelSize(11)
        self.setFont(font)
        self.hide()

    def set_entries(self, entries: list) -> None:
        self.entries = list(entries)
        self.setVisible(bool(self.entries))
        self.setFixedHeight(self.heightForWidth(max(self.width(), 300)))
        self.update()

    def _cells(self, width: int) -> list[tuple[float, float, str, object]]:
        """(x, y, text, style) of each entry, flowed into rows ``width`` wide."""
        metrics = self.fontMetrics()
        x, y, cells = PAD, PAD, []
        for text, style in self.entries:
            w = SWATCH + PAD + metrics.horizontalAdvance(text)
            if x > PAD and x + w > width - PAD:
                x, y = PAD, y + ROW
            cells.append((x, y, text, style))
            x += w + GAP
        return cells

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        cells = self._cells(width)
        return (cells[-1][1] + ROW + PAD) if cells else 0

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.setFixedHeight(self.heightForWidth(self.width()))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(400, self.heightForWidth(400))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        for x, y, text, style in self._cells(self.width()):
            pen = QPen(QColor(style.border), max(style.border_width, 1.0))
            if style.dash == "dashed":
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(QBrush(QColor(style.fill)))
            painter.setOpacity(FADED_ALPHA if style.faded else 1.0)
            painter.drawRoundedRect(QRectF(x, y + 2, SWATCH, ROW - 6), 3, 3)
            painter.setOpacity(1.0)
            painter.setPen(QColor(TEXT_COLOR))
            painter.drawText(QRectF(x + SWATCH + PAD, y, self.width(), ROW - 2),
                             Qt.AlignmentFlag.AlignVCenter, text)
        painter.end()
