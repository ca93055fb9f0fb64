"""An overview of a graph too big for the view: every box as a dot, the part in view as a
rectangle; a click or drag there moves the view. Drawn from the layout's boxes into a cached
picture (not from the scene's items), so a 20,000-node graph costs milliseconds."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from ..core.layout.engine import Layout

SIZE = QSize(220, 130)


class MiniMap(QWidget):
    def __init__(self, view, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = view  # the GraphView it follows and moves
        self.setFixedSize(SIZE)
        self.picture: QPixmap | None = None
        self.scale = 1.0
        for bar in (view.horizontalScrollBar(), view.verticalScrollBar()):
            bar.valueChanged.connect(self.update)
        self.hide()

    def set_layout(self, layout: Layout | None, needed: bool) -> None:
        """A new drawing; shown only when ``needed`` (the graph does not fit readably)."""
        self.setVisible(bool(layout) and needed)
        if not layout or not needed:
            self.picture = None
            return
        self.scale = min(SIZE.width() / max(layout.width, 1), SIZE.height() / max(layout.height,
                                                                                   1))
        picture = QPixmap(SIZE)
        picture.fill(QColor("#f8fafc"))
        painter = QPainter(picture)
        for box in layout.nodes.values():
            painter.fillRect(QRectF(box.x * self.scale - 1, box.y * self.scale - 1,
                                    max(box.w * self.scale, 2), max(box.h * self.scale, 2)),
                             QColor(box.fill if box.kind != "eqn" else "#94a3b8"))
        painter.end()
        self.picture = picture
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.picture is None:
            return
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self.picture)
        seen = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        painter.setPen(QPen(QColor("#f59e0b"), 2))
        painter.drawRect(QRectF(seen.x() * self.scale, seen.y() * self.scale,
                                seen.width() * self.scale, seen.height() * self.scale))
        painter.setPen(QColor("#cbd5e1"))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._go(event.position())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event.position())

    def _go(self, point: QPointF) -> None:
        self.view.user_moved = True
        self.view.centerOn(point.x() / self.scale, point.y() / self.scale)
