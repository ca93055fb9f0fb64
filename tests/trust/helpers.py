"""Running jaxviz as a hostile or careless user would, and checking what it left behind.

Each run gets a tag in its environment; every process jaxviz starts (the supervisor, the
worker, whatever user code forks) inherits it, so ``tagged_processes`` finds them all in /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

TAG = "JAXVIZ_TEST_TAG"


def new_env(tmp_path: Path) -> tuple[dict, str]:
    tag = uuid.uuid4().hex
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JAXVIZ_HOME=str(tmp_path / "home"))
    env[TAG] = tag
    return env, tag


def tagged_processes(tag: str) -> list[int]:
    """Live processes whose environment carries ``tag`` (zombies excluded)."""
    found = []
    needle = f"{TAG}={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes() and not _zombie(entry):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _zombie(entry: Path) -> bool:
    stat = (entry / "stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_gone(tag: str, within: float = 3.0) -> list[int]:
    """The tagged processes still alive after ``within`` seconds ([] when all are gone)."""
    deadline = time.monotonic() + within
    while (left := tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def wait_for(predicate, within: float = 60.0) -> bool:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def start(args: list[str], env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jaxviz", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
