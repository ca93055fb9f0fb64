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
    the left of ``=``: ``_:f32[] o:f32[] = jit[...]`` defines ``o``)."""
    lines: dict[str, list[int]] = {}
    for index, line in enumerate(text.splitlines()):
        if " = " not in line or not _LHS.match(line):
            continue
        for name in _LHS_NAMES.findall(line.split(" = ", 1)[0]):
            lines.setdefault(name, []).append(index)
    return lines


def first_from(lines: list[int], cursor: int) -> int | None:
    at = bisect.bisect_left(lines, cursor)
    return lines[at] if at < len(lines) else None


def main_start(text: str) -> int:
    """The line where the stage's own jaxpr starts, after the shared ones' `let` blocks."""
    for index, line in enumerate(text.splitlines()):
        if line.startswith("{ lambda"):
            return index
    return 0


def shared_starts(text: str, context) -> dict[int, int]:
    """For each jaxpr JAX prints once for several equations (``let g = { lambda ...``), the
    line its block starts on, keyed by the jaxpr's id."""
    names = getattr(context, "shared_jaxprs", None) or {}
    if not names:
        return {}
    starts = {m.group(1): i for i, line in enumerate(text.splitlines())
              if (m := _SHARED.match(line))}
    return {id(jaxpr): starts[name] for jaxpr, name in names.items() if name in starts}


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
