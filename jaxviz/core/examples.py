"""The built-in examples: Python files under resources/examples with a header per entry.

Each entry is one comment line, ``# jaxviz-example: {"title": ..., "function": ...,
"args": ..., "pipeline": ...}``, so one file can hold a failing version and its fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "resources" / "examples"
MARKER = "# jaxviz-example:"
DEFAULT_EXAMPLE = "Polynomial under grad"


@dataclass(frozen=True)
class Example:
    title: str
    function: str
    args: str
    pipeline: str
    source: str  # the file without its header lines: what the editor shows
    path: Path


def read_examples(folder: Path = EXAMPLES_DIR) -> list[Example]:
    """Every entry of every example file, in file-name order."""
    found = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        headers = [line for line in text.splitlines() if line.startswith(MARKER)]
        source = "".join(line for line in text.splitlines(True) if not line.startswith(MARKER))
        for line in headers:
            spec = json.loads(line[len(MARKER):])
            found.append(Example(spec["title"], spec["function"], spec.get("args", ""),
                                 spec.get("pipeline", ""), source, path))
    return found


def header_entry(source: str, function: str = "") -> dict | None:
    """The file's own example entry (the one for ``function`` if given): what a command
    runs when it is given the file alone."""
    for line in source.splitlines():
        if line.startswith(MARKER):
            try:
                spec = json.loads(line[len(MARKER):])
            except ValueError:  # a header that is not JSON: not an entry
                continue
            if isinstance(spec, dict) and (not function or spec.get("function") == function):
                return spec
    return None


def default_example() -> Example:
    """The tutorial's polynomial under grad: what the app opens on."""
    examples = read_examples()
    return next(e for e in examples if e.title == DEFAULT_EXAMPLE)
