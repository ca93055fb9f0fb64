"""``resources/setup.sh`` is idempotent: run again and again on a set-up machine, it never calls
apt-get (it used to, 4 runs in 6, when ``ldconfig -p | grep -q`` died of SIGPIPE under
pipefail)."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_setup_run_20_times_never_calls_apt_get(tmp_path):
    log = tmp_path / "calls.log"
    for tool in ("apt-get", "sudo"):
        fake = tmp_path / tool
        fake.write_text(f"#!/bin/sh\necho {tool} \"$@\" >> {log}\n")
        fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    for run in range(20):
        result = subprocess.run(["bash", "resources/setup.sh"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (run, result.stderr)
    assert not log.exists(), log.read_text()
