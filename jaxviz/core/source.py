"""Facts about the user's source read without running it: its top-level functions."""

from __future__ import annotations

import ast


def top_level_functions(source: str) -> list[str]:
    """Names of the module's top-level ``def``s, in order; [] when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def parses(source: str) -> bool:
    """Whether the text is valid Python (the worker names the error when it is not)."""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True
