"""The scene's items: node boxes, edges (whole or cut into stubs), and group clusters.

Coordinates are the layout's points, one scene unit per point, and labels are drawn with a
font of 10 units so the text fits the boxes the layout measured. Far out, items skip their
text (level of detail): painting a 20,000-node scene without text is several times cheaper.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ..core.layout.engine import FONT_PT, LINE_H, ClusterBox, EdgePath, NodeBox
from ..core.model.styles import CUT_EDGE_COLOR, EDGE_COLOR, FADED_ALPHA, TEXT_COLOR

TEXT_LOD = 0.45  # below this zoom, labels are not drawn
SELECT_COLOR = QColor("#f59e0b")


def label_font() -> QFont:
    font = QFont("DejaVu Sans Mono")
    if not QFontDatabase.hasFamily("DejaVu Sans Mono"):
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPixelSize(int(FONT_PT))
    return font


def _lod(painter: QPainter, option: QStyleOptionGraphicsItem) -> float:
    return option.levelOfDetailFromTransform(painter.worldTransform())


class NodeItem(QGraphicsItem):
    """One node: an equation box, an input or constant ellipse, an output, or a closed group."""

    def __init__(self, box: NodeBox, tooltip: str, font: QFont):
        super().__init__()
        self.box, self.font = box, font
        self.rect = QRectF(-box.w / 2, -box.h / 2, box.w, box.h)
        self.setPos(box.x, box.y)
        self.setToolTip(tooltip)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)
        self.edges: list[EdgeItem] = []
        self.match = False  # a search hit
        if box.faded:
            self.setOpacity(FADED_ALPHA)

    @property
    def node_id(self) -> str:
        return self.box.id

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self.rect.adjusted(-4, -4, 4, 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.rect)
        return path

    def paint(self, painter: QPainter, option, widget=None) -> None:
        b = self.box
        pen = QPen(QColor(b.border), b.border_width)
        if b.dash == "dashed":
            pen.setStyle(Qt.PenStyle.DashLine)
        if self.isSelected() or self.match:
            pen = QPen(SELECT_COLOR, 3.2 if self.isSelected() else 2.4)
        painter.setPen(pen)
        painter.setBrush(QBrush(QColor(b.fill)))
        lod = _lod(painter, option)
        if lod < TEXT_LOD:  # far out: a plain box is all that can be seen, and is cheap
            painter.drawRect(self.rect)
            return
        self._paint_shape(painter)
        self._paint_text(painter)

    def _paint_shape(self, painter: QPainter) -> None:
        shape = self.box.shape
        if shape == "ellipse":
            painter.drawEllipse(self.rect)
        elif shape == "group":
            painter.drawRoundedRect(self.rect.translated(3, 3), 5, 5)
            painter.drawRoundedRect(self.rect, 5, 5)
        else:
            painter.drawRoundedRect(self.rect, 5, 5)
            if shape == "output":
                painter.drawRoundedRect(self.rect.adjusted(3, 3, -3, -3), 4, 4)

    def _paint_text(self, painter: QPainter) -> None:
        painter.setFont(self.font)
        painter.setPen(QColor(TEXT_COLOR))
        lines = self.box.lines
        top = -len(lines) * LINE_H / 2
        for i, line in enumerate(lines):
            row = QRectF(self.rect.left(), top + i * LINE_H, self.rect.width(), LINE_H)
            painter.drawText(row, Qt.AlignmentFlag.AlignCenter, line)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        for edge in self.edges:
            edge.set_expanded(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        for edge in self.edges:
            edge.set_expanded(self.isSelected() or edge.other_selected(self))
        super().hoverLeaveEvent(event)

    def itemChange(self, change, value):  # noqa: N802 - Qt override
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            for edge in self.edges:
                edge.set_expanded(bool(value) or edge.other_selected(self))
        return super().itemChange(change, value)


class EdgeItem(QGraphicsItem):
    """A variable's edge; a long one is drawn as two stubs, whole on hover or selection."""

    def __init__(self, edge: EdgePath, font: QFont, labels: bool):
        super().__init__()
        self.edge, self.font, self.labels = edge, font, labels
        self.expanded = False
        self.ends: list[NodeItem] = []
        pts = [QPointF(x, y) for x, y in edge.points]
        self.path = QPainterPath(pts[0])
        for p in pts[1:]:
            self.path.lineTo(p)
        self.setZValue(1 if not edge.cut else 0.5)
        self._bounds = self.path.boundingRect().adjusted(-40, -12, 40, 12)
        if edge.label_at is not None:
            x, y = edge.label_at
            self._bounds = self._bounds.united(QRectF(x - 2, y - 8, len(edge.type) * 5.2 + 8,
                                                      16))

    def shape(self) -> QPainterPath:
        """The line a few points wide, and its label: what a hover (its tooltip) finds, so
        that the edge never takes a tooltip from the box it passes near."""
        stroker = QPainterPathStroker()
        stroker.setWidth(6)
        found = stroker.createStroke(self.path)
        if self.edge.label_at is not None:
            x, y = self.edge.label_at
            found.addRect(QRectF(x - 2, y - 8, len(self.edge.type) * 5.2 + 8, 16))
        return found

    def other_selected(self, node: NodeItem) -> bool:
        return any(end.isSelected() for end in self.ends if end is not node)

    def set_expanded(self, expanded: bool) -> None:
        if self.edge.cut and expanded != self.expanded:
            self.expanded = expanded
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        e = self.edge
        color = QColor(CUT_EDGE_COLOR if e.cut else e.highlight or EDGE_COLOR)
        if self.expanded:
            color = SELECT_COLOR
        painter.setPen(QPen(color, 2.2 if e.highlight else 1.1,
                            Qt.PenStyle.DashLine if e.cut else Qt.PenStyle.SolidLine))
        pts = [QPointF(x, y) for x, y in e.points]
        if _lod(painter, option) < TEXT_LOD and not self.expanded:  # far out: lines only
            if e.cut:
                painter.drawLine(pts[0], pts[1])
                painter.drawLine(pts[2], pts[3])
            else:
                painter.drawPolyline(pts)
            return
        if e.cut and not self.expanded:
            painter.drawLine(pts[0], pts[1])
            painter.drawLine(pts[2], pts[3])
            self._arrow(painter, pts[2], pts[3], color)
            if _lod(painter, option) >= TEXT_LOD:
                self._stub_text(painter, pts[1], pts[2], color)
            return
        if e.cut:
            painter.drawLine(pts[0], pts[-1])
            self._arrow(painter, pts[0], pts[-1], color)
        else:
            painter.drawPath(self.path)
            self._arrow(painter, pts[-2], pts[-1], color)
        if self.labels and _lod(painter, option) >= TEXT_LOD and e.label_at is not None:
            self._label(painter, color)

    def _arrow(self, painter: QPainter, a: QPointF, b: QPointF, color: QColor) -> None:
        angle = math.atan2(b.y() - a.y(), b.x() - a.x())
        size = 6.0
        left = QPointF(b.x() - size * math.cos(angle - 0.45), b.y() - size * math.sin(angle - 0.45))
        right = QPointF(b.x() - size * math.cos(angle + 0.45),
                        b.y() - size * math.sin(angle + 0.45))
        painter.setBrush(QBrush(color))
        painter.drawPolygon(QPolygonF([b, left, right]))

    def _label(self, painter: QPainter, color: QColor) -> None:
        """The variable's type where the layout placed it (where it overlaps nothing)."""
        x, y = self.edge.label_at
        font = QFont(self.font)
        font.setPixelSize(8)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(QRectF(x, y - 6, len(self.edge.type) * 5.2 + 4, 12),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.edge.type)

    def _stub_text(self, painter: QPainter, out_stub: QPointF, in_stub: QPointF,
                   color: QColor) -> None:
        font = QFont(self.font)
        font.setPixelSize(8)
        painter.setFont(font)
        painter.setPen(color)
        text = f"↓ {self.edge.var}"
        for p in (out_stub, in_stub):
            painter.drawText(QRectF(p.x() - 30, p.y() - 6, 60, 12), Qt.AlignmentFlag.AlignCenter,
                             text)


class ClusterItem(QGraphicsItem):
    """An open group: a rounded box behind its members, with its name; double-click closes."""

    def __init__(self, box: ClusterBox, font: QFont):
        super().__init__()
        self.box, self.font = box, font
        self.rect = QRectF(box.x, box.y, box.w, box.h)
        self.setZValue(-10 + box.depth * 0.1)
        self.setToolTip(f"{box.label} — double-click to close")

    @property
    def group_id(self) -> str:
        return self.box.id

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self.rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setPen(QPen(QColor("#b9a6dc"), 1.2))
        painter.setBrush(QBrush(QColor(246, 242, 253, 170)))
        painter.drawRoundedRect(self.rect, 8, 8)
        if _lod(painter, option) >= TEXT_LOD * 0.6:
            painter.setFont(self.font)
            painter.setPen(QColor("#5b3f8f"))
            painter.drawText(self.rect.adjusted(8, 3, -8, 0),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                             f"▾ {self.box.label}")


def draw_banner(painter: QPainter, text: str, width: float) -> None:
    """A note across the top of the view, in screen pixels."""
    box = QRectF(8, 8, width - 16, 24)
    painter.setPen(QPen(QColor("#f87171")))
    painter.setBrush(QBrush(QColor(254, 226, 226, 235)))
    painter.drawRoundedRect(box, 4, 4)
    painter.setPen(QColor("#7f1d1d"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
