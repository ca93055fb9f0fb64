"""Cyclic garbage collected on the GUI thread only.

Python runs a collection on whichever thread happens to allocate when a threshold is crossed.
The window's service threads allocate a great deal (rebuilding a trace's IR), so a collection
may run there and free a Qt object caught in a reference cycle from the wrong thread: Qt warns
("Timers cannot be stopped from another thread") and may crash (seen here once, with a second
Python thread sampling the window). As pyqtgraph does, automatic collection is turned off and
a timer on the GUI thread collects each generation when its threshold is passed.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from ..core.ir.graph import collection_paused

INTERVAL_MS = 500


class GarbageCollector(QObject):
    """Owns the collection for the life of the application."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds, youngest first;
        not while a service thread builds a big graph (its objects would all be walked)."""
        if collection_paused():
            return
        young, middle, old = gc.get_count()
        if young > self.threshold[0]:
            gc.collect(0)
            if middle > self.threshold[1]:
                gc.collect(1)
                if old > self.threshold[2]:
                    gc.collect(2)
