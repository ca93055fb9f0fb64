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
import numpy as np

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


# --- values for abstract arguments, to run a stage on -----------------------------------

SEED = 0


def seeded(args: list, kwargs: dict) -> tuple[list, dict, list[str]]:
    """Abstract leaves (``f32[16,4]``) replaced by seeded random values, and what was done."""
    key = [jax.random.key(SEED)]
    said: list[str] = []

    def fill(path, leaf):
        if not isinstance(leaf, jax.ShapeDtypeStruct):
            return leaf
        key[0], sub = jax.random.split(key[0])
        said.append(f"{_argument_name(path)}: {leaf.dtype}{list(leaf.shape)}")
        return _random(sub, leaf.shape, leaf.dtype)
    tree = jax.tree_util.tree_map_with_path(fill, (list(args), dict(kwargs)))
    return tree[0], tree[1], said


def _argument_name(path) -> str:
    """``argument 1``, ``argument 0[2]['w']``, ``keyword x``: a leaf of (args, kwargs)."""
    rest = jax.tree_util.keystr(tuple(path[2:]))
    if getattr(path[0], "idx", 1) == 0:
        return f"argument {path[1].idx}{rest}"
    return f"keyword {getattr(path[1], 'key', path[1])}{rest}"


def _random(key, shape, dtype):
    """Standard normal floats, a matrix's scaled by 1/sqrt of its fan-in (as a LeCun-normal
    init: a deep stack of layers on such weights keeps its values near 1, as trained ones
    do, instead of growing by sqrt(width) a layer); integers from 0 to 9; fair booleans."""
    if jnp.issubdtype(dtype, jnp.floating) or jnp.issubdtype(dtype, jnp.complexfloating):
        scale = 1.0 / np.sqrt(shape[-2]) if len(shape) >= 2 and shape[-2] else 1.0
        return jax.random.normal(key, shape, dtype) * jnp.asarray(scale, dtype)
    if jnp.issubdtype(dtype, jnp.integer):
        return jax.random.randint(key, shape, 0, 10, dtype)
    if dtype == jnp.bool_:
        return jax.random.bernoulli(key, 0.5, shape)
    return jnp.zeros(shape, dtype)
