"""Qt front of the worker clients: requests run on a background thread, results come as signals.

One request at a time per service, and per kind of request the newest wins: a request made
while one of its kind is in flight is queued (replacing any queued one of that kind), the older
one's result is dropped, and if the older one has already run for ``CANCEL_AFTER`` seconds its
worker is killed so the new one starts at once. Requests of other kinds wait their turn.
Blocking on the worker's pipe releases the GIL, so the window keeps answering; layout and
rendering (which hold the GIL in pygraphviz) happen in the worker processes, never here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..core.errors import ErrorInfo
from ..core.ir.graph import gc_paused
from ..core.layout.engine import Layout
from ..worker import protocol as p
from ..worker.client import WorkerClient, WorkerError

CANCEL_AFTER = 1.0  # seconds an outdated request may keep running before it is killed
QUIET = (p.PrimeRequest,)  # requests that run without the busy indicator


class WorkerService(QObject):
    """Runs requests on one WorkerClient from a background thread."""

    started = Signal(str)  # what is running, for the busy indicator
    progress = Signal(str, float)
    first_view = Signal(object, object)  # (request, p.FirstView with its Layout prepared)
    finished = Signal(object, object)  # (request, response): a response of any type
    failed = Signal(object, object)  # (request, ErrorInfo): timeout, crash, cancel
    idle = Signal()

    def __init__(self, client: WorkerClient, parent: QObject | None = None):
        super().__init__(parent)
        self.client = client
        # Work on an answer done on this service's thread before the window gets it (e.g.
        # rebuilding a big graph): pure Python yields the GIL every few ms, the window stays live.
        self.prepare: Callable[[Any, Any], Any] | None = None
        # ...and on a stage a trace sends ahead of its result (``Progress.ahead``), while the
        # worker still prints its text; the result then carries it as ``ahead``
        self.prepare_ahead: Callable[[dict], Any] | None = None
        self._ahead: tuple[Any, Any] | None = None  # (request, what prepare_ahead made)
        self._lock = threading.Lock()
        self._pending: dict[type, Any] = {}  # per kind of request, the newest not yet sent
        self._running: Any = None
        self._running_since = 0.0
        self._cancel_running = threading.Event()  # this run's own flag (see WorkerClient.call)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Spawn the worker now (it imports JAX while the window opens)."""
        self.client.start()

    @property
    def busy(self) -> bool:
        """Work the user waits for is running (housekeeping, such as priming the layout
        worker, does not count: showing the busy bar for it would resize the window's views)."""
        return self._running is not None and not isinstance(self._running, QUIET)

    @property
    def has_work(self) -> bool:
        """Work the user waits for is running or queued (what Esc would cancel)."""
        with self._lock:
            return self.busy or any(not isinstance(r, QUIET) for r in self._pending.values())

    def submit(self, request: Any) -> None:
        """Run ``request`` as soon as possible; a request still queued is replaced."""
        with self._lock:
            self._pending.pop(type(request), None)
            self._pending[type(request)] = request
            if self._running is not None:
                same_kind = type(self._running) is type(request)
                if same_kind and time.monotonic() - self._running_since > CANCEL_AFTER:
                    self._cancel_current()
                return
            self._launch()

    def cancel(self) -> None:
        """Drop the queued request and kill the running one."""
        with self._lock:
            self._pending.clear()
            if self._running is not None:
                self._cancel_current()

    def _cancel_current(self) -> None:
        """Stop the running request, wherever it is: the flag first (the request may not have
        reached the worker yet), then the worker (it may be computing). Called under the lock."""
        self._cancel_running.set()
        self.client.cancel()

    def _launch(self) -> None:
        request = self._pending.pop(next(iter(self._pending)))
        self._running, self._running_since = request, time.monotonic()
        self._cancel_running = cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(request, cancel), daemon=True)
        self._thread.start()

    def _run(self, request: Any, cancel: threading.Event) -> None:
        if not isinstance(request, QUIET):
            self._emit(self.started, _describe(request))
        try:
            # No cyclic collection while a big answer is read and rebuilt: a full pass over
            # the millions of objects being made holds the GIL, and so the window, for 0.1 s.
            # (Not for housekeeping that reads back nothing big: pausing the collector for
            # the whole process while the window builds its scene makes the next collection
            # a long one.)
            with gc_paused() if not isinstance(request, QUIET) else contextlib.nullcontext():
                response = self.client.call(
                    request, on_progress=lambda message: self._on_progress(request, message),
                    cancel=cancel)
                if isinstance(response, p.TraceResult) and self._ahead is not None \
                        and self._ahead[0] is request:
                    response.ahead = self._ahead[1]
                self._ahead = None
                if self.prepare is not None:
                    response = self.prepare(request, response)
            outcome = (True, response)
        except WorkerError as exc:
            outcome = (False, exc.info)
        except Exception as exc:  # never let the thread die silently
            outcome = (False, ErrorInfo(kind="crash", message=f"{type(exc).__name__}: {exc}"))
        with self._lock:
            superseded = type(request) in self._pending
            self._running = None
            if self._pending:
                self._launch()
        if superseded and (outcome[0] or isinstance(outcome[1], ErrorInfo)
                           and outcome[1].kind == "cancelled"):
            return  # a newer request is running: this result is stale
        self._emit(self.finished if outcome[0] else self.failed, request, outcome[1])
        if self._running is None:
            self._emit(self.idle)

    def _on_progress(self, request: Any, message: p.Progress) -> None:
        self._emit(self.progress, message.message, message.fraction)
        with self._lock:
            stale = type(request) in self._pending  # a newer one waits: not worth drawing
        if message.first_view is not None and not stale:  # rebuilt here, off the GUI thread
            message.first_view.prepared = Layout.from_dict(message.first_view.layout)
            self._emit(self.first_view, request, message.first_view)
        if message.ahead and self.prepare_ahead is not None:  # stale or not: its result
            self._ahead = (request, self.prepare_ahead(message.ahead[0]))  # needs it

    @staticmethod
    def _emit(signal, *args) -> None:
        """Emit from the service's thread; at exit the window (and this object with it) may
        be gone before the thread ends, and an answer then has nobody to go to."""
        with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
            signal.emit(*args)

    def shutdown(self) -> None:
        """Stop for good: no more signals (the window may be gone), no more worker."""
        self.blockSignals(True)
        self.cancel()
        self.client.close()


def _describe(request: Any) -> str:
    return {"TraceRequest": "Tracing", "LayoutRequest": "Laying out",
            "ExportRequest": "Exporting", "DevicesRequest": "Listing devices",
            "PmapRequest": "Running pmap", "BenchRequest": "Timing",
        "RetraceRequest": "Calling jit"}.get(
        type(request).__name__, "Working")


def make_services(host_devices: int | None = None, timeout: float = 30.0,
                  preload_jax: bool = True) -> tuple[WorkerService, WorkerService]:
    """The tracing service (JAX preloaded, unless the window only views stages traced
    elsewhere) and the layout/export service (no JAX)."""
    tracer = WorkerService(WorkerClient(host_devices=host_devices, timeout=timeout,
                                        preload_jax=preload_jax))
    layouter = WorkerService(WorkerClient(timeout=120.0, preload_jax=False))
    return tracer, layouter


