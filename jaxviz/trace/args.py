"""The arguments expression: what the user would write between the call's parentheses.

``2.0``, ``a, b``, ``params, x, scale=3.0``, ``f32[1000,5000], i32[]``. It is evaluated in the
user module's namespace, so a ``params`` pytree the module builds can be passed. The shorthand
``f32[8,128]`` gives a ``jax.ShapeDtypeStruct``: traced abstractly, no memory allocated.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import jax
import jax.numpy as jnp

# jaxpr dtype names → numpy dtype names, as JAX prints them.
SHORT_DTYPES = {
    "f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
    "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
    "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
    "c64": "complex64", "c128": "complex128", "bool": "bool",
}
_EMPTY_SUBSCRIPT = re.compile(r"\b(" + "|".join(SHORT_DTYPES) + r")\[\s*\]")


class ShapeSpec:
    """``f32`` in an arguments expression: ``f32[8, 3]`` is a ShapeDtypeStruct."""

    def __init__(self, dtype: str):
        self.dtype = dtype

    def __getitem__(self, dims) -> jax.ShapeDtypeStruct:
        dims = dims if isinstance(dims, tuple) else (dims,)
        if not all(isinstance(d, int) and d >= 0 for d in dims):
            raise TypeError(f"shape dimensions must be non-negative integers, not {dims}")
        return jax.ShapeDtypeStruct(tuple(dims), jnp.dtype(self.dtype))

    def __repr__(self) -> str:
        return f"<dtype shorthand {self.dtype}[...]>"


def shorthand_names() -> dict[str, ShapeSpec]:
    """``f32``, ``i32``, ``bf16``, ... for the arguments namespace."""
    return {short: ShapeSpec(long) for short, long in SHORT_DTYPES.items()}


def parse_call_arguments(text: str) -> tuple[list[ast.expr], list[ast.keyword]]:
    """The positional and keyword argument expressions of ``f(<text>)``."""
    text = _EMPTY_SUBSCRIPT.sub(r"\1[()]", text.strip())
    if not text:
        return [], []
    call = ast.parse(f"__jaxviz_call__({text}\n)", "<arguments>", mode="eval").body
    return call.args, call.keywords


def evaluate_arguments(text: str, namespace: dict[str, Any]) -> tuple[list, dict]:
    """Evaluate each argument in ``namespace`` (shorthands added where the module has none)."""
    scope = {**shorthand_names(), **namespace}
    args, keywords = parse_call_arguments(text)
    values = []
    for node in args:
        if isinstance(node, ast.Starred):
            values.extend(_eval(node.value, scope))
        else:
            values.append(_eval(node, scope))
    kwargs: dict[str, Any] = {}
    for kw in keywords:
        if kw.arg is None:
            kwargs.update(_eval(kw.value, scope))
        else:
            kwargs[kw.arg] = _eval(kw.value, scope)
    return values, kwargs


def _eval(node: ast.expr, scope: dict[str, Any]) -> Any:
    code = compile(ast.Expression(node), "<arguments>", "eval")
    return eval(code, scope)  # the user's own expression, in the user's namespace, in the worker
