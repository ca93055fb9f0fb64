"""Cyclic garbage is collected on the GUI thread, never on a service thread."""

import gc
import threading

from jaxviz.ui.gc_guard import GarbageCollector


class _Cycle:
    freed_on: list = []

    def __init__(self):
        self.me = self

    def __del__(self):
        _Cycle.freed_on.append(threading.current_thread())


def test_garbage_made_on_a_thread_is_collected_on_the_gui_thread(qtbot):
    was_enabled = gc.isenabled()
    guard = GarbageCollector(interval_ms=20)
    try:
        _Cycle.freed_on = []
        assert not gc.isenabled()

        kept = []

        def churn():  # a service thread allocating far past gen 0's threshold
            for _ in range(3):
                _Cycle()
            kept.extend([] for _ in range(5_000))

        worker = threading.Thread(target=churn)
        worker.start()
        worker.join()
        assert _Cycle.freed_on == []  # nothing collected on the worker thread
        qtbot.waitUntil(lambda: len(_Cycle.freed_on) == 3, timeout=5000)
        assert all(t is threading.main_thread() for t in _Cycle.freed_on)
    finally:
        guard.timer.stop()
        if was_enabled:
            gc.enable()


def test_no_collection_while_a_thread_builds_under_gc_paused(qtbot):
    from jaxviz.core.ir.graph import collection_paused, gc_paused

    was_enabled = gc.isenabled()
    guard = GarbageCollector(interval_ms=10)
    try:
        _Cycle.freed_on = []
        with gc_paused():
            assert collection_paused()
            _Cycle()
            kept = [[] for _ in range(5_000)]
            qtbot.wait(100)  # ten ticks of the guard: none may collect now
            assert _Cycle.freed_on == []
        assert not collection_paused()
        qtbot.waitUntil(lambda: len(_Cycle.freed_on) == 1, timeout=5000)
        assert kept
    finally:
        guard.timer.stop()
        if was_enabled:
            gc.enable()
