"""JAX's text of a stage, printed after its graph: where each equation is printed, and its line.

The graph is built first without the text (``jaxpr_ir``, names from ``jaxpr_names``), and it
records its walk: each equation node in print order, and where it entered and left each
nested jaxpr. ``place_lines`` replays that walk over the printed text with a cursor, the
first line the next equation may be on (JAX reuses variable names across nested jaxprs, so a
name alone would send a nested equation to the line of an outer one); a jaxpr JAX prints once
in a ``let`` block at the top moves the cursor there and back.
"""

from __future__ import annotations

import threading
from typing import Any

from jaxviz.core.ir.graph import Node
from jaxviz.trace.jaxpr_facts import plain_text
from jaxviz.trace.jaxpr_text import (
    DROPPED_SEARCH,
    equation_text,
    first_from,
    lines_by_name,
    main_start,
    shared_starts,
    statement_end,
)

LEAVE = None  # the walk's mark for "back out of the nested jaxpr entered last"
EQN_END = "end"  # the walk's mark for "the equation holding those jaxprs ends here"
_printer_lock = threading.Lock()


def jaxpr_text_and_names(closed) -> tuple[str, dict, Any]:
    """The jaxpr's text as ``str()`` gives it (without colour), the printer's variable names,
    and its context."""
    try:
        from jax._src import core as _core
    except ImportError:  # pragma: no cover - JAX moved its internals
        return plain_text(closed), {}, None
    contexts = []
    original = _core.JaxprPpContext.__init__

    def capture(self, *args, **kwargs):
        original(self, *args, **kwargs)
        contexts.append(self)

    with _printer_lock:
        _core.JaxprPpContext.__init__ = capture
        try:
            text = plain_text(closed)
        finally:
            _core.JaxprPpContext.__init__ = original
    if not contexts:
        return text, {}, None
    return text, dict(contexts[0].var_names), contexts[0]


def place_lines(walk: list, text: str, context) -> None:
    """Give each equation node of the walk its ``text_line`` and ``text``. The walk holds
    nodes, ``id()``s of the jaxprs entered (ints) and ``LEAVE`` marks."""
    placer = _Placer(text, context)
    returns: list[int | None] = []
    ends: list[int | None] = []  # where each equation holding jaxprs ends, innermost last
    for step in walk:
        if isinstance(step, Node):
            step.text_line = placer.line_of(step)
            step.text = equation_text(placer.flat_lines, step.text_line)
            if step.subgraphs:
                ends.append(statement_end(placer.flat_lines, step.text_line))
        elif step is EQN_END:
            # past its params: a jaxpr printed apart in them reuses the names from ``a`` on
            end = ends.pop()
            if end is not None:
                placer.cursor = max(placer.cursor, end + 1)
        elif step is LEAVE:
            back = returns.pop()
            if back is not None:
                placer.cursor = back
        else:
            start = placer.shared.get(step)
            returns.append(None if start is None else placer.cursor)
            if start is not None:  # printed once, in a `let` block at the top
                placer.cursor = start


class _Placer:
    def __init__(self, text: str, context):
        self.lines_by_name = lines_by_name(text)
        self.flat_lines = [" ".join(line.split()) for line in text.splitlines()]
        self.cursor = main_start(text)
        self.shared = shared_starts(text, context)

    def line_of(self, node: Node) -> int | None:
        """The first line from the cursor on that defines the node's first named result, or
        (every result dropped, "_") that applies the same primitive."""
        for port in node.outputs:
            if port.name != "_":
                found = first_from(self.lines_by_name.get(port.name, ()), self.cursor)
                if found is not None:
                    self.cursor = found + 1
                    return found
        if not node.outputs:  # no results (debug_print): the line starts with the primitive
            return self._search(lambda line: line.split("[", 1)[0].split(" ", 1)[0]
                                == node.primitive)
        needle = f"= {node.primitive}"
        return self._search(lambda line: needle in line and (
            line[line.index(needle) + len(needle):][:1] in ("", " ", "[")))

    def _search(self, matches) -> int | None:
        """The first line near the cursor that ``matches``; the cursor moves past it."""
        end = min(self.cursor + DROPPED_SEARCH, len(self.flat_lines))
        for index in range(self.cursor, end):
            if matches(self.flat_lines[index]):
                self.cursor = index + 1
                return index
        return None
