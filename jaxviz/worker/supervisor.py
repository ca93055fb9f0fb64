"""The worker's supervisor: a small process between jaxviz and the worker that runs user code.

``WorkerClient`` starts ``python -m jaxviz.worker.supervisor LIFELINE_FD CMD...`` in a session
of its own; the supervisor starts the worker (CMD) in that same session and waits. Why:

- user code that calls ``os.kill(os.getppid(), SIGTERM)`` reaches the supervisor, which shrugs
  SIGTERM, SIGINT and SIGHUP off, never the CLI or the window;
- the session's process group holds the worker and anything user code forks, so one
  ``killpg`` stops them all;
- the lifeline is the read end of a pipe whose write end only jaxviz holds: when jaxviz dies,
  however it dies (even SIGKILL), the pipe reads EOF and the supervisor kills the whole group.
  No process of ours outlives us.

Standard library only, so it starts in a few milliseconds.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

POLL_S = 0.2  # how often the worker's exit is checked while the lifeline stays quiet


def _shrug(_signum, _frame) -> None:
    """A handler that does nothing: unlike SIG_IGN it is reset for the worker at exec."""


def _lifeline_cut(fd: int, wait: float) -> bool:
    """True when jaxviz, the lifeline's only writer, has gone away."""
    readable, _, _ = select.select([fd], [], [], wait)
    return bool(readable) and os.read(fd, 1) == b""


def _exit_like(code: int) -> None:
    """Exit as the worker did, a signal included, so the client can say what happened."""
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code if code >= 0 else 1)


def supervise(lifeline: int, cmd: list[str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _shrug)
    worker = subprocess.Popen(cmd, pass_fds=())  # inherits the protocol pipes
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # let go of the pipes: EOF must reach the client when the worker dies
    os.dup2(devnull, 1)
    while worker.poll() is None:
        if _lifeline_cut(lifeline, POLL_S):
            os.killpg(0, signal.SIGKILL)  # jaxviz is gone: the worker and its forks go too
    _exit_like(worker.returncode)


def main() -> None:
    supervise(int(sys.argv[1]), sys.argv[2:])


if __name__ == "__main__":
    main()
