"""Every command the README and docs/ show with real files, run as written: each exits 0.

Commands in their code blocks that name an example (``resources/...``) are run from a
scratch folder (files they write land there); templates (``FILE``, ``~/proj``) and the app
itself (no subcommand) are left out.
"""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBCOMMANDS = {"trace", "export", "diff", "retrace", "devices", "pmap", "bench", "fusions",
               "cost", "memory", "residuals", "sharding"}


def readme_commands() -> list[str]:
    commands, in_block = [], False
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for line in "\n".join(p.read_text() for p in texts).splitlines():
        if line.startswith("```"):
            in_block = not in_block
            continue
        text = line.strip().removeprefix("$ ").split("  #")[0].strip()
        words = text.split()
        if not in_block or len(words) < 2 or words[0] != "jaxviz":
            continue
        if words[1] in SUBCOMMANDS and "resources/" in text and "FILE" not in words:
            commands.append(text)
    return list(dict.fromkeys(commands))  # a command shown twice is run once


COMMANDS = readme_commands()


def test_the_readme_shows_runnable_commands():
    assert len(COMMANDS) >= 8, COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_a_readme_command_runs_as_written(command, tmp_path):
    args = [a.replace("resources/", f"{ROOT}/resources/") for a in shlex.split(command)[1:]]
    done = subprocess.run([sys.executable, "-m", "jaxviz", *args], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
