"""The interactive graph: pan, zoom, fit, select, hover, open and close groups, search.

Built from a ``Layout`` (computed in a worker process) and a tooltip per node. It knows
nothing of jaxprs: the main window maps node ids to source lines and jaxpr text lines.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QToolTip

from ..core.layout.engine import Layout
from .graph_items import ClusterItem, EdgeItem, NodeItem, draw_banner, label_font

ZOOM_STEP = 1.5  # a step that gets somewhere: three take you from a fit to full size
MIN_SCALE, MAX_SCALE = 0.02, 6.0
FIT_MAX_SCALE = 1.4
BATCH = 800  # items (an edge: 1 + its points / 16) added per turn of the event loop (~15 ms)
# Labels are 10 px tall at scale 1: the first view never goes below READABLE_SCALE (9 px).
# A graph that fits only smaller opens at its top at that scale; F fits it all on demand.
READABLE_SCALE = 0.9


class GraphView(QGraphicsView):
    """Shows one laid-out stage."""

    nodesSelected = Signal(list)  # node ids, on a click (not on programmatic selection)
    groupToggled = Signal(str)  # a group id, on double-click

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setBackgroundBrush(QColor("#ffffff"))
        self.font = label_font()
        self.items_by_id: dict[str, NodeItem] = {}
        self.edge_tip = None  # EdgePath → its hover text (set_edge_tooltips)
        self.search_text: dict[str, str] = {}
        self.matches: list[str] = []
        self.match_index = -1
        self.layout_data: Layout | None = None
        self._programmatic = False
        # how the view was placed, which a resize keeps: "auto" (the whole graph, or its
        # readable top), "fit" (F: the whole graph, however small), "top-left" (a diff side),
        # "hand" (zoomed or panned)
        self.placement = "auto"
        self.scene().selectionChanged.connect(self._on_selection_changed)
        for keys, slot in (("+", self.zoom_in), ("=", self.zoom_in), ("-", self.zoom_out),
                           ("F", self.fit), ("Z", self.zoom_to_selection)):
            QShortcut(QKeySequence(keys), self, slot,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # --- content --------------------------------------------------------------------------

    def show_layout(self, layout: Layout, tooltips: dict[str, str], search_text: dict[str, str],
                    edge_labels: bool = True, keep_view: bool = False, on_done=None) -> None:
        """Replace the scene with a new layout (keeping the zoom and centre if asked).

        Items are added in batches, one per turn of the event loop, so a graph of thousands
        of nodes never holds the window for long; ``on_done`` runs once all are in.
        """
        center = self.mapToScene(self.viewport().rect().center())
        self._programmatic = True
        self.scene().clear()
        self._programmatic = False
        self.items_by_id, self.search_text, self.layout_data = {}, search_text, layout
        self.matches, self.match_index = [], -1
        self._generation = getattr(self, "_generation", 0) + 1
        for box in layout.clusters:
            self.scene().addItem(ClusterItem(box, self.font))
        self.scene().setSceneRect(QRectF(-40, -40, layout.width + 80, layout.height + 80))
        if not keep_view:
            self.placement = "auto"
        self._place_view(layout, keep_view, center)
        work = [("node", nid, box) for nid, box in layout.nodes.items()]
        work += [("edge", None, edge) for edge in layout.edges]
        self._add_batch(work, 0, tooltips, edge_labels, self._generation, on_done)

    def set_edge_tooltips(self, tip) -> None:
        """Each edge's hover text, ``tip(EdgePath)`` (its variable, ends and values), made
        when the edge is hovered: a drawing of 20,000 edges never builds them all."""
        self.edge_tip = tip

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and self.edge_tip is not None:
            item = self.itemAt(event.pos())
            if isinstance(item, EdgeItem):
                QToolTip.showText(event.globalPos(), self.edge_tip(item.edge), self.viewport())
                return True
        return super().viewportEvent(event)

    def set_tooltips(self, tooltips: dict[str, str], search_text: dict[str, str]) -> None:
        """New hover and search texts for the items up (a first view drawn before the
        stage's text was printed)."""
        self.search_text = search_text
        for nid, item in self.items_by_id.items():
            item.setToolTip(tooltips.get(nid, ""))

    def _place_view(self, layout: Layout, keep_view: bool, center) -> None:
        if keep_view:
            self.centerOn(center)
        elif self._fit_scale(layout) < READABLE_SCALE:
            self.show_readable_top(layout)
        else:
            self._fit_scene()

    def fits_readably(self, layout: Layout) -> bool:
        """Whether the whole graph fits the view with labels at least 9 px tall."""
        return self._fit_scale(layout) >= READABLE_SCALE

    def _fit_scale(self, layout: Layout) -> float:
        rect = self.viewport().rect()
        return min((rect.width() - 8) / max(layout.width + 80, 1),
                   (rect.height() - 8) / max(layout.height + 80, 1))

    def show_top_left(self) -> None:
        """The whole drawing if it fits readably, else its top-left corner at the readable
        size: the diff's two sides open on the same corner, so that they read side by side."""
        if self.layout_data is None:
            return
        if self.fits_readably(self.layout_data):
            self._fit_scene()
            return
        self.resetTransform()
        self.scale(READABLE_SCALE, READABLE_SCALE)
        self.centerOn(-40 + self.viewport().width() / 2 / READABLE_SCALE,
                      -40 + self.viewport().height() / 2 / READABLE_SCALE)

    def show_readable_top(self, layout: Layout) -> None:
        """The top of the drawing (its inputs and first groups) with labels 9 px tall: a
        graph too big to fit readably opens there, not as a grey blur."""
        self.resetTransform()
        self.scale(READABLE_SCALE, READABLE_SCALE)
        half_w = self.viewport().width() / 2 / READABLE_SCALE
        half_h = self.viewport().height() / 2 / READABLE_SCALE
        inputs = {k for k, b in layout.nodes.items() if b.kind in ("input", "const")
                  or k.rpartition("/")[2].startswith("inputs:")}  # (an argument's box too)
        inner = [(k, b) for k, b in layout.nodes.items() if k not in inputs] \
            or list(layout.nodes.items())
        first_id, first = min(inner, key=lambda kb: (kb[1].y, kb[1].x))
        # read from the left: the inputs above the first equation, or at least what feeds
        # it (a layer's inputs), as long as the equation begins well inside the view
        feeding = [layout.nodes[e.src] for e in layout.edges if e.dst == first_id]
        above = [layout.nodes[k] for k in inputs if layout.nodes[k].y < first.y]
        fits = first.x - first.w / 2 + 120 - 2 * half_w + 20
        left = first.x - first.w / 2  # too far apart: the equation, from its left edge
        for around in (above + feeding, feeding):
            edge = min((b.x - b.w / 2 for b in [first, *around]), default=left)
            if edge >= fits:
                left = edge
                break
        self.centerOn(max(left - 20 + half_w, -40 + half_w), -40 + half_h)  # top edge up

    @property
    def user_moved(self) -> bool:
        """Zoomed or panned by hand: a resize then keeps the view as it is."""
        return self.placement == "hand"

    @user_moved.setter
    def user_moved(self, moved: bool) -> None:
        self.placement = "hand" if moved else "auto"

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.layout_data is None:
            return
        if self.placement == "fit":  # scroll bars coming and going resize the viewport too
            self._fit_scene()
        elif self.placement == "top-left":
            self.show_top_left()
        elif self.placement == "auto":
            self._place_view(self.layout_data, False, None)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.user_moved = True  # a drag pans the view
        super().mousePressEvent(event)

    def _add_batch(self, work, start, tooltips, edge_labels, generation, on_done) -> None:
        if generation != self._generation:
            return  # a newer layout replaced this one meanwhile
        scene = self.scene()
        stop, cost = start, 0.0
        while stop < len(work) and cost < BATCH:  # an edge of many lanes costs more
            cost += 1.0 if work[stop][0] == "node" else 1.0 + len(work[stop][2].points) / 16
            stop += 1
        for kind, nid, data in work[start:stop]:
            if kind == "node":
                item = NodeItem(data, tooltips.get(nid, ""), self.font)
                self.items_by_id[nid] = item
            else:
                item = EdgeItem(data, self.font, edge_labels)
                item.ends = [self.items_by_id[data.src], self.items_by_id[data.dst]]
                for end in item.ends:
                    end.edges.append(item)
            scene.addItem(item)
        if stop < len(work):
            QTimer.singleShot(0, lambda: self._add_batch(work, stop, tooltips, edge_labels,
                                                         generation, on_done))
        elif on_done is not None:
            on_done()

    def clear(self) -> None:
        self.scene().clear()
        self.items_by_id, self.layout_data = {}, None

    # --- zoom -----------------------------------------------------------------------------

    def scale_factor(self) -> float:
        return self.transform().m11()

    def _zoom(self, factor: float) -> None:
        self.user_moved = True
        target = min(max(self.scale_factor() * factor, MIN_SCALE), MAX_SCALE)
        self.scale(target / self.scale_factor(), target / self.scale_factor())

    def zoom_in(self) -> None:
        self._zoom(ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom(1 / ZOOM_STEP)

    def fit(self) -> None:
        """Whole graph in view, small graphs magnified a little at most; a resize fits it
        again (also a graph too big to read whole, which otherwise opens at its top)."""
        if self.layout_data is None:
            return
        self.placement = "fit"
        self._fit_scene()

    def _fit_scene(self) -> None:
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        if self.scale_factor() > FIT_MAX_SCALE:
            self.resetTransform()
            self.scale(FIT_MAX_SCALE, FIT_MAX_SCALE)
            self.centerOn(self.scene().sceneRect().center())

    def zoom_to_selection(self) -> None:
        self.user_moved = True
        items = self.scene().selectedItems()
        if not items:
            return
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        self.fitInView(rect.adjusted(-120, -120, 120, 120), Qt.AspectRatioMode.KeepAspectRatio)
        if self.scale_factor() > 1.5:
            self.resetTransform()
            self.scale(1.5, 1.5)
            self.centerOn(rect.center())

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Arrow keys move the selection along the edges: up to what the node uses, down to
        what uses it, left and right to its neighbours in the same rank."""
        step = {Qt.Key.Key_Up: "up", Qt.Key.Key_Down: "down", Qt.Key.Key_Left: "left",
                Qt.Key.Key_Right: "right"}.get(event.key())
        current = self.selected_ids()
        if step is None or not current or current[0] not in self.items_by_id:
            return super().keyPressEvent(event)
        target = self._neighbour(self.items_by_id[current[0]], step)
        if target is not None:
            self.select_nodes([target.node_id])
            self.nodesSelected.emit([target.node_id])
        event.accept()

    def _neighbour(self, item, step: str):
        if step in ("up", "down"):
            ends = [e.ends[0] if step == "up" else e.ends[1] for e in item.edges
                    if (e.ends[1] is item if step == "up" else e.ends[0] is item)]
            return min(ends, key=lambda n: abs(n.x() - item.x()), default=None)
        same = [n for n in self.items_by_id.values() if abs(n.y() - item.y()) < 2 * n.box.h
                and n is not item and (n.x() < item.x()) == (step == "left")]
        return min(same, key=lambda n: abs(n.x() - item.x()), default=None)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.angleDelta().y() == 0:
            return super().wheelEvent(event)
        self._zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
        event.accept()

    # --- selection ------------------------------------------------------------------------

    def select_nodes(self, ids: list[str], center: bool = True) -> None:
        """Select these nodes (from the editor or the jaxpr text): no nodesSelected signal."""
        self._programmatic = True
        self.scene().clearSelection()
        found = [self.items_by_id[i] for i in ids if i in self.items_by_id]
        for item in found:
            item.setSelected(True)
        self._programmatic = False
        if found and center:
            self.centerOn(found[0])

    def selected_ids(self) -> list[str]:
        return [i.node_id for i in self.scene().selectedItems() if isinstance(i, NodeItem)]

    def _on_selection_changed(self) -> None:
        if not self._programmatic:
            self.nodesSelected.emit(self.selected_ids())

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.isInteractive():  # a first view, drawn before its stages came
            return
        for item in self.items(event.position().toPoint()):
            if isinstance(item, NodeItem) and item.box.kind == "group":
                self.groupToggled.emit(item.node_id)
                return
            if isinstance(item, ClusterItem):
                self.groupToggled.emit(item.group_id)
                return
        super().mouseDoubleClickEvent(event)

    # --- search ---------------------------------------------------------------------------

    def search(self, text: str) -> int:
        """Mark the nodes whose text contains ``text``; returns how many."""
        needle = text.strip().lower()
        for item in self.items_by_id.values():
            item.match = False
            item.update()
        self.matches = [nid for nid, hay in self.search_text.items()
                        if needle and needle in hay.lower() and nid in self.items_by_id]
        for nid in self.matches:
            self.items_by_id[nid].match = True
        self.match_index = -1
        return len(self.matches)

    def next_match(self, step: int = 1) -> str | None:
        """Select and centre the next (or previous) match."""
        if not self.matches:
            return None
        self.match_index = (self.match_index + step) % len(self.matches)
        nid = self.matches[self.match_index]
        self.select_nodes([nid])
        self.nodesSelected.emit([nid])
        return nid

    # --- legend ---------------------------------------------------------------------------

    def set_stale(self, stale: bool) -> None:
        """Mark the drawing as the last good one while the current code has an error."""
        self.stale = stale
        self.setBackgroundBrush(QColor("#eceef1") if stale else QColor("#ffffff"))
        self.viewport().update()

    def set_empty_reason(self, text: str) -> None:
        """What an empty canvas says instead of nothing: why there is no graph yet."""
        self.empty_reason = text
        self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        if self.layout_data is None:
            reason = getattr(self, "empty_reason", "")
            if reason:
                painter.save()
                painter.resetTransform()
                painter.setPen(QColor("#6b7280"))
                painter.drawText(self.viewport().rect().adjusted(24, 24, -24, -24),
                                 Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 reason)
                painter.restore()
            return
        painter.save()
        painter.resetTransform()
        if getattr(self, "stale", False):
            draw_banner(painter, "Last successful trace — the code has an error (see below "
                                 "the editor)", self.viewport().width())
        painter.restore()

    # --- images ---------------------------------------------------------------------------

    def render_image(self, scale: float = 2.0) -> QImage:
        """The whole graph as an image (for the clipboard)."""
        rect = self.scene().itemsBoundingRect().adjusted(-12, -12, 12, 12)
        image = QImage(int(rect.width() * scale), int(rect.height() * scale),
                       QImage.Format.Format_ARGB32)
        image.fill(QColor("#ffffff"))
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.TextAntialiasing)
        self.scene().render(painter, QRectF(image.rect()), rect)
        painter.end()
        return image
