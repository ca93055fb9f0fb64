"""Params, literals and types of a jaxpr's equations as the text the graph shows.

The params' text is made when a label first reads it (``ParamTexts``): drawing needs one or
two params an equation, the IR all of them only once the stage's text is printed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

MAX_PARAM_TEXT = 400  # characters kept of one param's text
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def type_text(aval) -> str:
    try:
        return aval.str_short(short_dtypes=True)
    except (AttributeError, TypeError):
        return str(aval)


def literal_text(atom) -> str:
    """``2.0:f32[]``; numbers in their shortest form for their dtype (0.1, not 0.1000000014)."""
    value, dtype = atom.val, getattr(atom.aval, "dtype", None)
    try:
        text = str(np.asarray(value, dtype=dtype)[()]) if np.ndim(value) == 0 else str(value)
    except (TypeError, ValueError):
        text = str(value)
    return f"{text}:{type_text(atom.aval)}"


def literal_printed(atom) -> str:
    """The literal as JAX's text prints it (``0.10000000149011612:f32[]``), or ""."""
    try:
        return atom.pretty_print(None, print_dtype=True)
    except (AttributeError, TypeError):  # pragma: no cover - a JAX whose Literal changed
        return ""


def _plain(value: Any) -> Any:
    """NumPy scalars as the Python numbers they hold, inside tuples and lists too: a label
    reads ``axes=(0, 1)``, not ``axes=(np.int64(0), np.int64(1))`` (JAX's own text is kept
    as JAX prints it)."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind in (tuple, list):
        return value if all(type(v) in _AS_IS for v in value) else \
            kind([_plain(v) for v in value])
    return value.item() if isinstance(value, np.generic) else value


_AS_IS = {int, str, bool, float, type(None)}  # what _plain gives back unchanged


class ParamTexts(Mapping):
    """An equation's params as text, each made when first read: a label reads one or two
    of them (30,000 params' text at 20,000 equations, 0.05 s, is not needed to draw)."""

    def __init__(self, params: dict):
        self.params, self.texts = params, {}

    def __getitem__(self, key: str) -> str:
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = param_text(self.params[key], ())
        return text

    def __contains__(self, key) -> bool:  # (Mapping's own would make the text)
        return key in self.params

    def get(self, key, default=None):
        return self[key] if key in self.params else default

    def __iter__(self):
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def all(self) -> dict[str, str]:
        return {key: self[key] for key in self.params}


def param_text(value: Any, subs: list) -> str:
    if subs:
        return "{jaxpr}" if len(subs) == 1 else f"({len(subs)} jaxprs)"
    # an object's repr carries its address ("<function f at 0x7f...>"): noise to the reader,
    # and it would make the same trace give a different IR each time
    text = str(_plain(value))
    if " at 0x" in text:
        text = _ADDRESS.sub("", text)
    return text if len(text) <= MAX_PARAM_TEXT else text[: MAX_PARAM_TEXT - 1] + "…"
