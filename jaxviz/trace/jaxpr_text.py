"""The jaxpr's text, as JAX prints it, read to find where each equation is printed.

Pure text work (no jax): which lines define which variable names, where the stage's own
jaxpr starts after the shared ones' ``let`` blocks, and where each shared jaxpr's block is.
``jaxpr_ir`` walks equations in print order with a cursor over these lines.
"""

from __future__ import annotations

import bisect
import re

_LHS = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*):\S")
_LHS_NAMES = re.compile(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*):")
_SHARED = re.compile(r"^let ([A-Za-z_][A-Za-z0-9_]*) = \{ lambda")
DROPPED_SEARCH = 400  # lines searched ahead for an equation whose results are all dropped
MAX_EQN_TEXT = 240  # characters kept of one equation's printed line


def lines_by_name(text: str) -> dict[str, list[int]]:
    """Line indices (ascending) of the equations defining each variable name (any result on
    the left of ``=``: ``_:f32[] o:f32[] = jit[...]`` defines ``o``). A left-hand side too
    long for one line wraps: all its names belong to the line of its ``=``."""
    lines: dict[str, list[int]] = {}
    pending: list[str] = []  # names of a left-hand side wrapped onto the next line
    for index, line in enumerate(text.splitlines()):
        if not _LHS.match(line):
            pending = []
            continue
        if " = " not in line:
            # a lambda's inputs wrap too; they end in ". let" and define no equation
            pending = [] if line.endswith(". let") else pending + _LHS_NAMES.findall(line)
            continue
        for name in pending + _LHS_NAMES.findall(line.split(" = ", 1)[0]):
            lines.setdefault(name, []).append(index)
        pending = []
    return lines


def first_from(lines: list[int], cursor: int) -> int | None:
    at = bisect.bisect_left(lines, cursor)
    return lines[at] if at < len(lines) else None


def top_level_lines(text: str):
    """(index, line) of the lines that start outside every ``{ ... }``: the shared jaxprs'
    ``let`` lines and the stage's own ``{ lambda``. A jaxpr that JAX prints apart inside a
    param (``custom_linear_solve``'s) starts at column 0 too, but inside its equation's
    braces."""
    depth = 0
    for index, line in enumerate(text.splitlines()):
        if depth <= 0:
            yield index, line
        depth += line.count("{") - line.count("}")


def main_start(text: str) -> int:
    """The line where the stage's own jaxpr starts, after the shared ones' `let` blocks."""
    for index, line in top_level_lines(text):
        if line.startswith("{ lambda"):
            return index
    return 0


def shared_starts(text: str, context) -> dict[int, int]:
    """For each jaxpr JAX prints once for several equations (``let g = { lambda ...``), the
    line its block starts on, keyed by the jaxpr's id."""
    names = getattr(context, "shared_jaxprs", None) or {}
    if not names:
        return {}
    starts = {m.group(1): i for i, line in top_level_lines(text)
              if (m := _SHARED.match(line))}
    return {id(jaxpr): starts[name] for jaxpr, name in names.items() if name in starts}


def statement_end(flat_lines: list[str], line: int | None) -> int | None:
    """The last line of the equation printed from ``line`` on: where its brackets and braces,
    counted from its ``=``, close again."""
    if line is None:
        return None
    first = flat_lines[line]
    depth = 0
    for index in range(line, len(flat_lines)):
        text = first.split(" = ", 1)[-1] if index == line else flat_lines[index]
        depth += text.count("[") + text.count("{") - text.count("]") - text.count("}")
        if depth <= 0:
            return index
    return None


def equation_text(flat_lines: list[str], line: int | None) -> str:
    """The equation's printed text, its parameter lines joined, from the stage's text."""
    if line is None:
        return ""
    parts = [flat_lines[line]]
    index = line
    while parts[-1].endswith("[") and index + 1 < len(flat_lines) \
            and sum(len(p) for p in parts) < MAX_EQN_TEXT:
        index += 1
        parts.append(flat_lines[index])
        if flat_lines[index].startswith("]"):
            break
    text = " ".join(parts)
    return text if len(text) <= MAX_EQN_TEXT else text[: MAX_EQN_TEXT - 1] + "…"
