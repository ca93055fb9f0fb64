"""Which library call of the user's made an equation, named as the user wrote it.

An equation's traceback runs from the user's function down into jax.numpy, optax, flax,
equinox or haiku. The picture should show the call the user made (``optax.adamw``'s
``tx.update(grads, opt_state, params)``, ``jnp.where(...)``, ``nn.Dense(10)(x)``), not the
library's private helpers (``_where``, ``_take``). The innermost frame in the user's file is
the call site; when the frame it called is not the user's, the equation belongs to that
library call, and the call is named by the callee expression at the call site, read from the
source (``ast``): ``optax.softmax_cross_entropy_with_integer_labels``, ``tx.update``,
``nn.Dense``. An operator (``x @ w + b``) is the user's own expression, not a call: its
equations stay the user's. An index that jax.numpy turns into a gather (``p[jnp.arange(n),
y]``: iota, compares, selects, a concatenate) is named by its index, ``indexing [...]``.
Where the source cannot be read, the library function's own name is used.
"""

from __future__ import annotations

import ast
import functools
import linecache


def callee_name(filename: str, line: int, col: int | None, end_line: int | None,
                end_col: int | None, fallback: str) -> str:
    """The callee of the call expression at this span of the user's file, as written."""
    if col is None or end_col is None or end_line is None:
        return fallback
    text = _span_text(filename, line, col, end_line, end_col)
    return _callee(text) if text.strip() else fallback


def _span_text(filename: str, line: int, col: int, end_line: int, end_col: int) -> str:
    lines = [linecache.getline(filename, k) for k in range(line, end_line + 1)]
    if not lines or not lines[0]:
        return ""
    if len(lines) == 1:
        return lines[0][col:end_col]
    return lines[0][col:] + "".join(lines[1:-1]) + lines[-1][:end_col]


def _dotted(node: ast.expr) -> bool:
    """``a``, ``a.b.c`` (a name path), not ``f(x)`` or ``x[0]``."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


@functools.lru_cache(maxsize=4096)
def _callee(text: str) -> str:
    """``optax.adamw`` of ``optax.adamw(1e-3)``; ``nn.Dense`` of ``nn.Dense(10)(x)``."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return ""
    while isinstance(tree, ast.Call) and isinstance(tree.func, ast.Call):
        tree = tree.func  # nn.Dense(10)(x): the module built, then called
    if isinstance(tree, ast.Subscript):
        index = ast.unparse(tree.slice)
        return f"indexing [{index if len(index) <= 40 else index[:39] + '…'}]"
    if not isinstance(tree, ast.Call):  # an operator: the user's own expression
        return ""
    func = tree.func
    if isinstance(func, ast.Attribute) and not _dotted(func.value):
        return f".{func.attr}"  # a method of a result: f(x).mean() → .mean
    name = ast.unparse(func)
    if name.startswith("self."):  # self.dense1(x): the submodule's name
        name = name[len("self."):]
    return name if len(name) <= 60 else name[:59] + "…"
