"""Hostile and careless input, one row each: the exit code, words the message must contain, no
jaxviz traceback, no process left behind, and no file of the user's changed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from tests.trust.helpers import new_env, wait_gone

POLY = "def f(x):\n    return 4 * x**3 + 3 * x**2 + 2 * x + 1\n"


@dataclass
class Row:
    name: str
    argv: list[str]  # after `jaxviz`; "SRC" is the user's file, "OUT" a file in the folder
    code: int
    words: list[str]
    source: str | bytes = POLY
    existing: dict[str, str] = field(default_factory=dict)  # files there before the run
    changed: tuple[str, ...] = ()  # files the run may change (the export itself)


ROWS = [
    Row("export over the source file", ["export", "SRC", "-a", "2.0", "-o", "SRC", "--format",
        "dot"], 2, ["input of this run", "--force"]),
    Row("html diff over the source file", ["diff", "SRC", "-a", "2.0", "-p", "grad", "--html",
        "SRC"], 2, ["input of this run"]),
    Row("export over a user's svg", ["export", "SRC", "-a", "2.0", "-o", "mine.svg"], 2,
        ["not an earlier export"], existing={"mine.svg": "<svg>my drawing</svg>"}),
    Row("export over a user's .py, format given", ["export", "SRC", "-a", "2.0", "-o",
        "notes.py", "--format", "dot"], 2, ["not an earlier export"],
        existing={"notes.py": "x = 1\n"}),
    Row("export over a user's file with --force", ["export", "SRC", "-a", "2.0", "-o",
        "mine.svg", "--force"], 0, ["wrote"], existing={"mine.svg": "<svg/>"},
        changed=("mine.svg",)),
    Row("export to a device", ["export", "SRC", "-a", "2.0", "-o", "/dev/full", "--format",
        "dot", "--force"], 2, ["not a regular file"]),
    Row("export into a missing folder", ["export", "SRC", "-a", "2.0", "-o", "no/such/g.svg"],
        2, ["does not exist"]),
    Row("export with an unknown suffix", ["export", "SRC", "-a", "2.0", "-o", "g.txt"], 2,
        ["cannot tell the format"]),
    Row("user code SIGTERMs its parent", ["trace", "SRC", "-a", "2.0"], 0, ["mul"],
        source="import os, signal\ndef f(x):\n    os.kill(os.getppid(), signal.SIGTERM)\n"
               "    return x * 2\n"),
    Row("user code forks and loops", ["trace", "SRC", "-a", "2.0", "--timeout", "3"], 3,
        ["took longer than 3 s"], source="import subprocess\ndef f(x):\n"
        "    subprocess.Popen(['sleep', '600'])\n    while True:\n        pass\n"),
    Row("user code raises KeyboardInterrupt", ["trace", "SRC", "-a", "2.0"], 2,
        ["KeyboardInterrupt", "line 2"], source="def f(x):\n    raise KeyboardInterrupt\n"),
    Row("user code raises a BaseException", ["trace", "SRC", "-a", "2.0"], 2, ["Boom"],
        source="class Boom(BaseException):\n    pass\ndef f(x):\n    raise Boom('no')\n"),
    Row("sys.exit in the module", ["trace", "SRC", "-a", "2.0"], 2, ["sys.exit"],
        source="import sys\nsys.exit(3)\ndef f(x):\n    return x\n"),
    Row("os._exit in the function", ["trace", "SRC", "-a", "2.0"], 3, ["exited with code 7"],
        source="import os\ndef f(x):\n    os._exit(7)\n"),
    Row("grad of a function returning None", ["trace", "SRC", "-a", "2.0", "-p", "grad"], 2,
        ["returns None", "return"], source="def f(x):\n    x * 2\n"),
    Row("a syntax error and no -f", ["trace", "SRC", "-a", "2.0"], 2, ["SyntaxError",
        "line 2"], source="def f(x):\n    return x +\n"),
    Row("a UTF-8 BOM", ["trace", "SRC", "-a", "2.0"], 0, ["integer_pow"],
        source=b"\xef\xbb\xbf" + POLY.encode()),
    Row("a latin-1 coding cookie", ["trace", "SRC", "-a", "2.0"], 0, ["mul"],
        source="# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\ndef f(x):\n    return x * 2\n"
        .encode("latin-1")),
    Row("a binary file", ["trace", "SRC", "-a", "2.0"], 2, ["binary file"],
        source=b"\x7fELF\x02\x01\x00\x00"),
    Row("invalid UTF-8", ["trace", "SRC", "-a", "2.0"], 2, ["not valid utf-8"],
        source=b"def f(x):\n    return x  # caf\xe9\n"),
    Row("--timeout nan", ["trace", "SRC", "-a", "2.0", "--timeout", "nan"], 2, ["seconds"]),
    Row("--timeout 0", ["trace", "SRC", "-a", "2.0", "--timeout", "0"], 2, ["seconds"]),
    Row("--timeout -1", ["trace", "SRC", "-a", "2.0", "--timeout", "-1"], 2, ["seconds"]),
    Row("--host-devices 0", ["devices", "--host-devices", "0"], 2, ["devices from 1"]),
    Row("--host-devices 100000", ["devices", "--host-devices", "100000"], 2, ["to 512"]),
    Row("a static_argnums that is not a number", ["trace", "SRC", "-a", "2.0", "-p",
        "jit(static_argnums='x')"], 2, ["static_argnums must be an int"]),
    Row("an unknown checkpoint policy", ["trace", "SRC", "-a", "2.0", "-p",
        "checkpoint(policy='nope')"], 2, ["no 'nope'", "dots_saveable"]),
    Row("a PNG too large to render", ["export", "SRC", "-a", "2.0", "-p", "grad", "-o",
        "big.png", "--dpi", "2400"], 2, ["too large to render", "export svg", "--dpi"]),
    Row("a stage that does not exist", ["export", "SRC", "-a", "2.0", "-o", "g.svg",
        "--stage", "7"], 2, ["--stage '7'", "0 to 0"]),
    Row("a missing file", ["trace", "nothere.py", "-a", "2.0"], 2, ["cannot read"]),
]


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_hostile_input(row: Row, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    src = work / "user.py"
    src.write_bytes(row.source if isinstance(row.source, bytes) else row.source.encode())
    for name, text in row.existing.items():
        (work / name).write_text(text)
    before = _snapshot(work)
    env, tag = new_env(tmp_path)
    argv = [str(src) if a == "SRC" else a for a in row.argv]
    r = subprocess.run([sys.executable, "-m", "jaxviz", *argv], cwd=work, env=env,
                       capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == row.code, out
    for word in row.words:
        assert word.lower() in out.lower(), out
    assert "Traceback" not in r.stderr, r.stderr
    assert wait_gone(tag) == [], "a process of this run is still alive"
    after = _snapshot(work)
    for name in before:
        if name not in row.changed:
            assert after.get(name) == before[name], f"{name} was changed"
    assert set(after) - set(before) <= set(row.changed) | {"g.svg"}
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
