"""How long the window takes to appear: from launching `python -m jaxviz` to the window shown.

    python benchmarks/startup.py [--runs 5]

Runs the app offscreen with --screenshot (so it exits by itself) and JAXVIZ_TIMING=1, and
times, from the moment the process is spawned, the line the app prints once the window is
shown; also the time until the first graph is drawn (the screenshot is written).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(home: str) -> tuple[float, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JAXVIZ_TIMING="1", JAXVIZ_HOME=home)
    shot = os.path.join(home, "shot.png")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "jaxviz", "--no-restore", "--screenshot",
                             shot], env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    shown = drawn = float("nan")
    for line in proc.stderr:
        if line.startswith("window shown"):
            shown = time.perf_counter() - start
    for line in proc.stdout:
        if line.startswith("wrote"):
            drawn = time.perf_counter() - start
    proc.wait()
    return shown, drawn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    results = []
    with tempfile.TemporaryDirectory() as home:
        one_run(home)  # warm the file cache
        results = [one_run(home) for _ in range(runs)]
    shown = [r[0] for r in results]
    drawn = [r[1] for r in results]
    print(f"window shown: median {statistics.median(shown):.2f} s "
          f"(min {min(shown):.2f}, max {max(shown):.2f}) over {runs} runs")
    print(f"first graph drawn (screenshot written): median {statistics.median(drawn):.2f} s")


if __name__ == "__main__":
    main()
