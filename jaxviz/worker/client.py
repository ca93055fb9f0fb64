"""The client side of the worker: start it, send a request, wait with a timeout, restart it.

Qt-free, used by the CLI directly and by the app from a background thread. Starting never
blocks: the process is spawned and imports JAX on its own while the caller goes on; the first
request waits for its ``Ready``. A request past its timeout kills the worker and raises
``WorkerTimeout``; a worker that dies (segfault, ``os._exit``, out of memory) raises
``WorkerCrashed``; ``cancel()`` from another thread kills it and raises ``WorkerCancelled``.
In every case the next request gets a fresh worker. The worker runs under a supervisor in a
process group of its own (``supervisor.py``): killing the group kills whatever user code
forked, and the group dies with this process however it ends.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from jaxviz.core.errors import ErrorInfo
from jaxviz.worker import codec
from jaxviz.worker import protocol as p
from jaxviz.worker.spawn import kill_group as _kill_group
from jaxviz.worker.spawn import spawn, take

DEFAULT_TIMEOUT = 30.0  # seconds for each run of the user's code in a request
OWN_WORK_TIMEOUT = 300.0  # seconds for jaxviz's own work on a result (a hang of ours)
STARTUP_TIMEOUT = 180.0  # seconds for a new worker to import JAX and say Ready


class WorkerError(Exception):
    """The worker could not answer; ``info`` says why, for the user."""

    def __init__(self, info: ErrorInfo):
        super().__init__(info.summary())
        self.info = info


class WorkerTimeout(WorkerError):
    pass


class WorkerCrashed(WorkerError):
    pass


class WorkerCancelled(WorkerError):
    pass


class WorkerClient:
    """One worker process at a time, replaced whenever it times out, crashes or is cancelled."""

    def __init__(self, host_devices: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                 preload_jax: bool = True):
        self.host_devices = host_devices
        self.timeout = timeout
        self.preload_jax = preload_jax
        self._proc: subprocess.Popen | None = None  # the supervisor (see supervisor.py)
        self._lifeline: int | None = None  # write end of the supervisor's lifeline pipe
        self._log = None
        self._buffer = b""
        self._ready = False
        self._next_id = 1
        self._cancelled = False
        self._limit, self._phase = timeout, ""  # the running request's limit, and its step
        self._lock = threading.Lock()  # guards the process handle against cancel()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Spawn the worker if none runs; returns at once."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            waiting = take(self.preload_jax, self.host_devices)  # the CLI's, started first
            if waiting is not None:
                self._proc, self._lifeline, self._log = waiting
            else:
                # the worker's stderr, read back after a crash
                self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives with the worker
                self._proc, self._lifeline = spawn(self.preload_jax, self._log,
                                                   self.host_devices)
            self._buffer, self._ready, self._cancelled = b"", False, False

    def restart(self, host_devices: int | None = None) -> None:
        """Replace the worker, optionally with another number of host devices."""
        if host_devices is not None:
            self.host_devices = host_devices
        self._kill()
        self.start()

    def close(self) -> None:
        """Stop the worker."""
        self._kill()

    def cancel(self) -> None:
        """Abort the request in flight (from any thread); the caller gets WorkerCancelled."""
        self._cancelled = True
        self._kill()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    # --- requests -------------------------------------------------------------------------

    def call(self, request: Any, timeout: float | None = None,
             on_progress: Callable[[p.Progress], None] | None = None,
             cancel: threading.Event | None = None) -> Any:
        """Send one request and wait for its answer (Progress messages go to ``on_progress``).

        ``cancel`` is the caller's own flag for this request: set before the request reaches
        the worker (a cancel that comes between "started" and here), it is honoured all the
        same; ``cancel()`` alone only stops what is already in flight.
        """
        self.start()
        self._cancelled = False
        name = type(request).__name__.removesuffix("Request").lower()
        if cancel is not None and cancel.is_set():  # checked after the reset: no cancel lost
            raise WorkerCancelled(ErrorInfo(kind="cancelled",
                                            message=f"The {name} was cancelled."))
        if not self._ready:
            self._receive(time.monotonic() + STARTUP_TIMEOUT, name, startup=True)
        request_id = self._next_id
        self._next_id += 1
        self._proc.stdin.write(codec.encode(request, request_id))
        self._proc.stdin.flush()
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        self._limit, self._phase = limit, ""
        while True:
            message = self._receive(deadline, name)
            if isinstance(message, p.Progress):
                # each run of user code (a stage's trace) gets the limit; jaxviz's own work
                # after it (printing, graph, layout, sending 60 MB) is not counted against it
                self._limit = max(limit, OWN_WORK_TIMEOUT) if message.ours else limit
                self._phase = message.message
                deadline = time.monotonic() + self._limit
                if on_progress:
                    on_progress(message)
                continue
            if not p.answers(request, message):  # requests are paired with their answers
                self.close()
                raise WorkerError(ErrorInfo(kind="crash", message=f"the worker answered "
                                            f"{type(message).__name__} to {name}"))
            return message

    def _receive(self, deadline: float, name: str, startup: bool = False) -> Any:
        """The next message (its head line and chunk lines); raises on timeout, crash, cancel."""
        data, parts = codec.decode_head(self._frame(deadline, name, startup))
        for _ in range(parts):
            codec.add_part(data, self._frame(deadline, name, startup))
        message, _ = codec.build(data)
        if isinstance(message, p.Ready):
            self._ready = True
            return self._receive(deadline, name) if not startup else message
        return message

    def _frame(self, deadline: float, name: str, startup: bool) -> bytes:
        """The next frame's payload from the worker (its 4-byte length, then its bytes)."""
        head = self._bytes(codec.LENGTH.size, deadline, name, startup)
        (size,) = codec.LENGTH.unpack(head)
        return self._bytes(size, deadline, name, startup)

    def _bytes(self, count: int, deadline: float, name: str, startup: bool) -> bytes:
        """The next ``count`` bytes from the worker. Reads are kept in a list and joined once:
        adding each read to one growing bytes object copied an 18 MB message many times."""
        chunks, have = [self._buffer], len(self._buffer)
        while have < count:
            proc = self._proc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill()
                limit = STARTUP_TIMEOUT if startup else self._limit
                while_doing = f" while {self._phase}" if self._phase and not startup else ""
                raise WorkerTimeout(ErrorInfo(
                    kind="timeout", message=f"The {name} took longer than {limit:g} s"
                    f"{while_doing} and was stopped (an endless loop, or very large work?).",
                    hint="check loops for an exit; raise the timeout if the work is just big"))
            chunk = self._read(proc, min(remaining, 0.2))
            if chunk == b"":
                self._raise_dead(name)
            if chunk:
                chunks.append(chunk)
                have += len(chunk)
        data = b"".join(chunks)
        self._buffer = data[count:]
        return data[:count]

    def _read(self, proc: subprocess.Popen | None, wait: float) -> bytes | None:
        """Bytes from the worker, None when nothing came in ``wait`` s, b"" when it is gone."""
        if proc is None or proc.stdout is None or proc.stdout.closed:
            return b""
        try:
            ready, _, _ = select.select([proc.stdout], [], [], wait)
            return os.read(proc.stdout.fileno(), 1 << 20) if ready else None
        except (OSError, ValueError):
            return b""

    def _raise_dead(self, name: str) -> None:
        proc = self._proc
        code = proc.wait() if proc is not None else None
        log = self._log_tail()
        self._kill()
        if self._cancelled:
            raise WorkerCancelled(ErrorInfo(kind="cancelled", message=f"The {name} was "
                                                                      f"cancelled."))
        raise WorkerCrashed(ErrorInfo(kind="crash", message=f"The worker process {_death(code)} "
                                      f"during the {name}; a new one has been started.",
                                      hint=_crash_hint(code, log), details=log))

    def _log_tail(self, limit: int = 2000) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - limit))
            return self._log.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""

    def _kill(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is None:
                return
            _kill_group(proc)
            if self._lifeline is not None:
                os.close(self._lifeline)
                self._lifeline = None
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError, AttributeError):
                    stream.close()
            self._ready = False


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _crash_hint(code: int | None, log: str) -> str:
    if code == -signal.SIGKILL or "MemoryError" in log or "out of memory" in log.lower():
        return "it may have run out of memory: try smaller arguments, or the f32[...] shorthand " \
               "to trace without allocating"
    if code is not None and code >= 0:
        return "the code may have called os._exit(); jaxviz runs your module to find the function"
    return "a crash in native code (segfault): check the inputs of the last operation"
