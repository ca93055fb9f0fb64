"""However jaxviz ends (SIGTERM, SIGHUP, Ctrl-C, even SIGKILL), mid-trace, the worker and
whatever user code forked end with it: checked in /proc, as ``ps`` would."""

from __future__ import annotations

import json
import signal

import pytest

from tests.trust.helpers import new_env, start, tagged_processes, wait_for, wait_gone

LOOP = ("import subprocess\n"
        "def f(x):\n"
        "    subprocess.Popen(['sleep', '600'])\n"
        "    while True:\n"
        "        pass\n")


def _looping(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text(LOOP)
    return path


def _forked(tag: str) -> bool:
    """The user code's child is running: the trace is under way."""
    from pathlib import Path
    for pid in tagged_processes(tag):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep"):
                return True
        except OSError:
            pass
    return False


@pytest.mark.parametrize("sig, code, words", [
    (signal.SIGTERM, 128 + signal.SIGTERM, "stopped by SIGTERM"),
    (signal.SIGHUP, 128 + signal.SIGHUP, "stopped by SIGHUP"),
    (signal.SIGINT, 128 + signal.SIGINT, "interrupted"),
    (signal.SIGKILL, -signal.SIGKILL, ""),
])
def test_cli_killed_mid_trace_leaves_nothing(tmp_path, sig, code, words):
    env, tag = new_env(tmp_path)
    cli = start(["trace", str(_looping(tmp_path)), "-a", "2.0"], env, tmp_path)
    assert wait_for(lambda: _forked(tag)), "the trace never started"
    cli.send_signal(sig)
    _, err = cli.communicate(timeout=30)
    assert cli.returncode == code, err
    assert words in err and "Traceback" not in err
    assert wait_gone(tag) == []


def test_app_terminated_mid_trace_saves_and_leaves_nothing(tmp_path):
    env, tag = new_env(tmp_path)
    app = start([str(_looping(tmp_path)), "-a", "2.0"], env, tmp_path)
    assert wait_for(lambda: _forked(tag)), "the trace never started"
    app.send_signal(signal.SIGTERM)
    _, err = app.communicate(timeout=30)
    assert app.returncode == 0, err
    assert wait_gone(tag) == []
    session = json.loads((tmp_path / "home" / "session.json").read_text())
    assert "while True" in session["source"] and session["trace_in_flight"]


def test_app_killed_mid_trace_leaves_nothing(tmp_path):
    env, tag = new_env(tmp_path)
    app = start([str(_looping(tmp_path)), "-a", "2.0"], env, tmp_path)
    assert wait_for(lambda: _forked(tag)), "the trace never started"
    app.kill()
    app.communicate(timeout=30)
    assert wait_gone(tag) == []
