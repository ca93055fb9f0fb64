"""The tutorial's sharp bits, found on every trace: what a traced function did that a pure one
would not, as notes beside the graph.

- arrays captured from outside the function (globals, closures) and baked into the jaxpr as
  constants: their size, the line that uses them, and what that means;
- ``print`` at trace time: it runs once, while tracing, not at every call;
- globals the trace rebound (state kept outside the function);
- effects in the jaxpr (callbacks, ``jax.debug.print``), which jit keeps.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
from collections.abc import Iterator

import numpy as np

LARGE_CONSTANT = 1 << 20  # bytes: a constant this big bloats every compiled program


def note(kind: str, message: str, line: int | None = None, hint: str = "") -> dict:
    return {"kind": kind, "message": message, "line": line, "hint": hint}


@contextlib.contextmanager
def watching(user_file: str, namespace: dict) -> Iterator[list[dict]]:
    """Run a trace while recording its prints (text and line) and the globals it rebinds."""
    found: list[dict] = []
    printed: list[tuple[str, int | None]] = []
    real_print = builtins.print

    def traced_print(*args, **kwargs):
        printed.append((" ".join(str(a) for a in args), _caller_line(user_file)))
        return real_print(*args, **kwargs)

    before = {k: id(v) for k, v in namespace.items() if not k.startswith("__")}
    attributes = _attributes(namespace)
    builtins.print = traced_print
    try:
        yield found
    finally:
        builtins.print = real_print
        found += [note("print", f"print ran once, while tracing: {text[:120]!r}; it will not "
                       f"print again when the compiled function runs", line,
                       "use jax.debug.print(...) to print the values at every call")
                  for text, line in printed]
        found += _rebound(before, namespace) + _changed_attributes(attributes, namespace)


def _caller_line(user_file: str) -> int | None:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == user_file:
            return frame.f_lineno
        frame = frame.f_back
    return None


def _rebound(before: dict[str, int], namespace: dict) -> list[dict]:
    changed = [k for k, v in namespace.items() if not k.startswith("__")
               and k in before and before[k] != id(v)]
    added = [k for k in namespace if not k.startswith("__") and k not in before]
    return [note("global", f"the trace changed the global {name!r}: the function keeps state "
                 f"outside itself, which jit sees only once, at trace time", None,
                 "pass the state in as an argument and return the new state (a pure "
                 "function), as the tutorial's stateless rewrite does")
            for name in changed + added]


def _attributes(namespace: dict) -> dict[str, dict[str, int]]:
    """The attributes of the module's objects (instances of the user's classes), by id."""
    out = {}
    for name, value in namespace.items():
        state = getattr(value, "__dict__", None)
        if isinstance(state, dict) and not isinstance(value, type) and not callable(value) \
                and type(value).__module__ == namespace.get("__name__"):
            out[name] = {k: id(v) for k, v in state.items()}
    return out


def _changed_attributes(before: dict[str, dict[str, int]], namespace: dict) -> list[dict]:
    notes = []
    for name, attrs in before.items():
        now = getattr(namespace.get(name), "__dict__", {})
        for attr in sorted(set(now) | set(attrs)):
            if attrs.get(attr) != (id(now[attr]) if attr in now else None):
                notes.append(note("state", f"the trace changed {name}.{attr}: an object "
                                  f"outside the function keeps state, which jit sees only "
                                  f"once, at trace time", None,
                                  "take the state as an argument and return the new state "
                                  "(the tutorial's StateLess rewrite)"))
    return notes


def constant_notes(closed, graph, lines_of: list[int | None] | None = None) -> list[dict]:
    """Arrays baked into the jaxpr as constants, with the line of the first equation that
    uses each (the IR's constant nodes ``c0, c1, ...`` are in the order of ``consts``; without
    a graph, ``lines_of`` gives them)."""
    users = {e.src: e.dst for e in reversed(graph.edges)}
    lines = {n.id: n.line for n in graph.nodes}
    if lines_of is not None:
        users = {f"c{i}": f"c{i}" for i in range(len(lines_of))}
        lines = {f"c{i}": line for i, line in enumerate(lines_of)}
    notes = []
    for i, value in enumerate(closed.consts):
        shape, dtype = tuple(np.shape(value)), getattr(value, "dtype", type(value).__name__)
        size = int(getattr(value, "nbytes", 0))
        big = " Large constants bloat every compiled program." if size >= LARGE_CONSTANT else ""
        notes.append(note("constant", f"an array {dtype}{list(shape)} ({_bytes(size)}) from "
                          f"outside the function is baked into the jaxpr as a constant: "
                          f"changing it later does not change the traced function.{big}",
                          lines.get(users.get(f"c{i}")),
                          "pass it in as an argument if it can change, or if it is large"))
    return notes


def effect_notes(closed) -> list[dict]:
    from jaxviz.trace.jaxpr_facts import side_effects

    effects = side_effects(closed.effects)
    return [note("effect", f"the jaxpr has side effects ({', '.join(effects)}): they run at "
                 f"every call, and jit keeps the equations that have them", None)] \
        if effects else []


def _bytes(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"
