"""The worker's main loop: read a request, run its handler, answer; user prints captured apart.

Started by ``WorkerClient`` as ``python -m jaxviz.worker.server``. At start it takes the
protocol channel for itself: the original stdin and stdout descriptors are duplicated for the
protocol, and fds 0 and 1 are pointed at /dev/null and stderr, so neither ``print`` nor C code
writing to fd 1 can corrupt a message.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import queue
import sys
import threading
from typing import Any, BinaryIO

from jaxviz.core.errors import ErrorInfo
from jaxviz.worker import codec
from jaxviz.worker import protocol as p

MAX_CAPTURED = 64 * 1024  # characters of user output kept per request


class BoundedWriter(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int = MAX_CAPTURED):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def write(self, text: str) -> int:
        room = self.limit - self.kept
        self.parts.append(text[:room])
        self.kept += min(len(text), max(room, 0))
        self.dropped += max(len(text) - max(room, 0), 0)
        return len(text)

    @property
    def buffer(self) -> io.RawIOBase:
        """``sys.stdout.buffer``: bytes written there are kept as text (not UTF-8: replaced)."""
        return _BytesInto(self)

    @property
    def encoding(self) -> str:
        return "utf-8"

    def text(self) -> str:
        body = "".join(self.parts)
        if self.dropped:
            body += f"\n… {self.dropped} more characters of output were dropped"
        return body


class _BytesInto(io.RawIOBase):
    """A binary view of a text sink: what user code writes to ``sys.stdout.buffer``."""

    def __init__(self, sink: BoundedWriter):
        self.sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sink.write(bytes(data).decode("utf-8", errors="replace"))
        return len(data)


def _frame(proto_in: BinaryIO) -> bytes | None:
    """The next frame's payload, or None at the end of the channel."""
    head = proto_in.read(codec.LENGTH.size)
    if len(head) < codec.LENGTH.size:
        return None
    (size,) = codec.LENGTH.unpack(head)
    return proto_in.read(size)


def claim_channel() -> tuple[BinaryIO, BinaryIO]:
    """Private duplicates of stdin/stdout for the protocol; fds 0 and 1 no longer reach it."""
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stderr
    return proto_in, proto_out


class Sender:
    """Writes the encoded messages, in order, from a thread of its own. The client reads a
    big message as fast as it can rebuild it (the shown stage's graph sent ahead: 69 MB at
    101,203 equations, a second to read); written from the handler's thread, that second
    would pass before the worker could print the stage's text. A write blocked on the pipe
    lets go of the GIL, so the handler prints meanwhile."""

    def __init__(self, out: BinaryIO):
        self.out, self.queue = out, queue.Queue()
        threading.Thread(target=self._write, daemon=True, name="jaxviz-sender").start()

    def send(self, message: Any, request_id: int = 0) -> None:
        self.queue.put(codec.encode(message, request_id))

    def drain(self) -> None:
        """Wait until everything sent is written."""
        self.queue.join()

    def _write(self) -> None:
        while True:
            data = self.queue.get()
            try:
                self.out.write(data)
                self.out.flush()
            except OSError:  # the client is gone: so is this worker (nothing left to answer)
                os._exit(1)
            finally:
                self.queue.task_done()


def serve(proto_in: BinaryIO, proto_out: BinaryIO, preload_jax: bool) -> None:
    """Answer requests until stdin closes or a ShutdownRequest arrives."""
    sender = Sender(proto_out)
    send = sender.send
    try:
        send(p.Ready(pid=os.getpid(), jax_version=_preload() if preload_jax else ""))
        _serve(proto_in, sender)
    finally:
        sender.drain()


def _serve(proto_in: BinaryIO, sender: Sender) -> None:
    from jaxviz.worker.handlers import HANDLERS

    send = sender.send
    while True:
        head = _frame(proto_in)
        if head is None:  # the client closed the channel
            return
        data, parts = codec.decode_head(head)  # a big request comes in chunks, like answers
        for _ in range(parts):
            codec.add_part(data, _frame(proto_in) or b"")
        request, request_id = codec.build(data)
        if isinstance(request, p.ShutdownRequest):
            return
        def progress(message: str, fraction: float, first_view: p.FirstView | None = None,
                     ahead: list | None = None, _id: int = request_id) -> None:
            send(p.Progress(message, fraction, first_view, ahead or [],
                            ours=not message.startswith(p.USER_PHASES)), _id)
        send(run_handler(HANDLERS[type(request)], request, progress), request_id)
        if isinstance(request, p.TraceRequest):  # its handler paused the collector; a
            sender.drain()  # collection would hold the GIL the sender needs to write
            gc.collect()


def run_handler(handler, request: Any, progress) -> Any:
    """Run one handler with the user's output captured; never let an exception escape."""
    out = BoundedWriter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            response = handler(request, progress)
        except SystemExit as exc:
            response = p.Failure(ErrorInfo(kind="exit", message=f"The code called "
                                           f"sys.exit({exc.code!r})."))
        except Exception as exc:  # a bug of ours: say so plainly, keep serving
            response = p.Failure(ErrorInfo(kind="input", message=f"Internal error in jaxviz: "
                                           f"{type(exc).__name__}: {exc}"))
    if hasattr(response, "stdout"):
        response.stdout = out.text()
    return response


def _preload() -> str:
    import jax

    import jaxviz.trace.session  # noqa: F401 - warm the imports the first trace needs
    return jax.__version__


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    proto_in, proto_out = claim_channel()
    serve(proto_in, proto_out, preload_jax="--preload-jax" in argv)


if __name__ == "__main__":
    main()
