"""Starting a worker: the supervisor and, under it, the worker, in a session of their own.

Standard library only, so the command line can start its worker before it imports anything
else (``prespawn``): JAX's import in the worker, the longest step of every command, then runs
while this process imports the protocol, parses the arguments and reads the file. The
supervisor runs with ``-I -S`` (no site, no environment): it needs the standard library only,
and starts 7 ms sooner.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

SUPERVISOR = str(Path(__file__).with_name("supervisor.py"))

_waiting: list[tuple] = []  # (preload_jax, host_devices, proc, lifeline, log) not yet taken


def host_device_env(host_devices: int | None) -> dict[str, str]:
    """The environment for a worker with ``host_devices`` simulated CPU devices."""
    env = dict(os.environ)
    if host_devices:
        flags = [f for f in env.get("XLA_FLAGS", "").split()
                 if not f.startswith("--xla_force_host_platform_device_count")]
        flags.append(f"--xla_force_host_platform_device_count={int(host_devices)}")
        env["XLA_FLAGS"] = " ".join(flags)
    return env


def spawn(preload_jax: bool, log, host_devices: int | None) -> tuple[subprocess.Popen, int]:
    """The supervisor's process (the worker under it) and the write end of its lifeline."""
    worker = [sys.executable, "-m", "jaxviz.worker.server"] + (["--preload-jax"] if preload_jax
                                                                 else [])
    lifeline_read, lifeline_write = os.pipe()  # both ends are closed at exec but where passed
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", SUPERVISOR, str(lifeline_read), *worker],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            env=host_device_env(host_devices), pass_fds=(lifeline_read,),
            start_new_session=True)  # its own process group: one killpg stops everything
    except BaseException:
        os.close(lifeline_write)
        raise
    finally:
        os.close(lifeline_read)
    return proc, lifeline_write


def prespawn(host_devices: int | None) -> None:
    """Start a JAX-preloading worker now, for the first ``WorkerClient`` that wants one."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the worker's stderr, as the client keeps it
    proc, lifeline = spawn(True, log, host_devices)
    _waiting.append((True, host_devices, proc, lifeline, log))


def take(preload_jax: bool, host_devices: int | None) -> tuple | None:
    """A prespawned worker of that kind, still running: (proc, lifeline, log), or None."""
    for entry in list(_waiting):
        if entry[:2] == (preload_jax, host_devices):
            _waiting.remove(entry)
            if entry[2].poll() is None:
                return entry[2:]
    return None


def discard_waiting() -> None:
    """Stop the prespawned workers nobody took (a command that ended before asking)."""
    while _waiting:
        _, _, proc, lifeline, log = _waiting.pop()
        kill_group(proc)
        os.close(lifeline)
        log.close()


def kill_group(proc: subprocess.Popen) -> None:
    """Kill the supervisor's whole process group: the worker and whatever user code forked."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # members that outlived the leader
