"""The Qt binding itself: guards against a release that breaks the window."""

import sys

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPolygonF


def test_painting_keeps_none_alive(qapp):
    """PySide6 6.12.0 dropped a reference to None per QPainter call; on Python 3.11 the app
    then dies with 'deallocating None' after enough paints."""
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    before = sys.getrefcount(None)
    for _ in range(500):
        painter.setPen(QPen(QColor("#000000"), 1.0))
        painter.setBrush(QBrush(QColor("#ffffff")))
        painter.drawLine(QPointF(0, 0), QPointF(5, 5))
        painter.drawRoundedRect(QRectF(0, 0, 10, 10), 2, 2)
        painter.drawPolygon(QPolygonF([QPointF(0, 0), QPointF(5, 5), QPointF(0, 5)]))
    painter.end()
    assert sys.getrefcount(None) >= before - 50
