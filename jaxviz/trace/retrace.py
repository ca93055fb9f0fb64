"""Why jit traces again: call the jitted function with each argument set in turn, and say per
call whether it reused the cache or traced and compiled again, and why.

Whether a call traced is counted, not guessed: the function is wrapped so that each trace
bumps a counter. The why comes twice: JAX's own explanation (``jax_explain_cache_misses``,
captured from its log, "TRACING CACHE MISS at file:line ...") and plain words from comparing
the call's arguments with the earlier ones (a new shape, a new dtype, a weak type, another
value of a static argument, another structure).
"""

from __future__ import annotations

import functools
import inspect
import io
import logging
import re
import time
from typing import Any

import jax
import numpy as np


def explain_retraces(fn, calls: list[tuple[list, dict, str]], static_argnums=(),
                     static_argnames=()) -> list[dict]:
    """One verdict per call: ``{"call", "args", "traced", "reason", "jax", "seconds"}``."""
    traces = [0]

    @functools.wraps(fn)
    def counted(*args, **kwargs):
        traces[0] += 1
        return fn(*args, **kwargs)

    jitted = jax.jit(counted, static_argnums=tuple(static_argnums),
                     static_argnames=tuple(static_argnames))
    seen: list[dict[str, Any]] = []
    verdicts = []
    with _jax_log() as log, jax.explain_cache_misses(True):
        for index, (args, kwargs, text) in enumerate(calls):
            before, mark = traces[0], log.tell()
            start = time.perf_counter()
            jax.block_until_ready(jitted(*args, **kwargs))
            seconds = time.perf_counter() - start
            log.seek(mark)
            said = _cache_miss_text(log.read(), index)
            signature = _signature(fn, args, kwargs, static_argnums, static_argnames)
            traced = traces[0] > before
            verdicts.append({"call": index, "args": text, "traced": traced,
                             "reason": _reason(signature, seen) if traced else
                             "same shapes, dtypes and static values as an earlier call: "
                             "the compiled function was reused",
                             "jax": said, "seconds": seconds})
            seen.append(signature)
    return verdicts


class _jax_log:
    """JAX's warnings (where cache misses are explained), captured while the calls run."""

    def __enter__(self) -> io.StringIO:
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.setLevel(logging.WARNING)
        self.logger = logging.getLogger("jax")
        self.logger.addHandler(self.handler)
        return self.buffer

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)


def _cache_miss_text(text: str, index: int) -> str:
    """JAX's explanation of a cache miss; where it names the call site, that is this file's
    loop, which calls the function for the user: said as the call of their list it was."""
    ours = re.compile(re.escape(__file__) + r":\d+")
    text = ours.sub(f"call {index + 1} of your list", text)
    blocks, keep = [], False
    for line in text.splitlines():
        if line.startswith("TRACING CACHE MISS"):
            keep = True
        elif line and not line.startswith(" "):
            keep = False
        if keep:
            blocks.append(line)
    return "\n".join(blocks)


def _signature(fn, args, kwargs, static_argnums, static_argnames) -> dict[str, Any]:
    """Per argument name: ("static", value) or the tree of (shape, dtype, weak) of its leaves."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        bound.apply_defaults()
        named = dict(bound.arguments)
        positions = list(named)
    except (TypeError, ValueError):
        named = {f"argument {i}": a for i, a in enumerate(args)} | dict(kwargs)
        positions = list(named)
    static = {positions[i] for i in static_argnums if i < len(positions)} | set(static_argnames)
    tree = jax.tree_util
    return {name: ("static", value) if name in static else
            (tree.tree_structure(value), [_leaf(v) for v in tree.tree_leaves(value)])
            for name, value in named.items()}


def _leaf(value) -> tuple:
    if isinstance(value, (bool, int, float, complex)):
        return ((), type(value).__name__, True)  # a Python number: weakly typed
    shape = tuple(getattr(value, "shape", np.shape(value)))
    dtype = str(getattr(value, "dtype", np.asarray(value).dtype))
    return (shape, dtype, bool(getattr(value, "weak_type", False)))


def _reason(signature: dict, seen: list[dict]) -> str:
    """Plain words for why this call traced: how it differs from the closest earlier call."""
    if not seen:
        return "the first call: jit traces and compiles the function"
    differences = min((_differences(signature, old) for old in reversed(seen)), key=len)
    return "; ".join(differences) or "an argument that JAX hashes differently (see JAX's words)"


def _differences(new: dict, old: dict) -> list[str]:
    words = []
    for name, value in new.items():
        before = old.get(name)
        if before is None:
            words.append(f"a new argument {name}")
        elif value[0] == "static" or before[0] == "static":
            if value != before:
                words.append(f"the static argument {name} is {value[1]!r}, before "
                             f"{before[1]!r}: each value of a static argument is traced anew")
        elif value[0] != before[0]:
            words.append(f"{name} has another structure ({value[0]}, before {before[0]})")
        else:
            words += _leaf_differences(name, value[1], before[1])
    return words


def _leaf_differences(name: str, leaves: list, before: list) -> list[str]:
    for (shape, dtype, weak), (old_shape, old_dtype, old_weak) in zip(leaves, before):
        if shape != old_shape:
            return [f"a new shape for {name}: {dtype}{list(shape)}, before "
                    f"{old_dtype}{list(old_shape)}"]
        if dtype != old_dtype:
            return [f"a new dtype for {name}: {dtype}, before {old_dtype}"]
        if weak != old_weak:
            kind = "a Python number (weakly typed)" if weak else "an array (strongly typed)"
            return [f"{name} is now {kind}: weak and strong types are traced apart"]
    return []
