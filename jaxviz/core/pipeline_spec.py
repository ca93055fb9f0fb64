"""Parse a pipeline of transforms: ``grad | vmap(in_axes=(0, None)) | jit``.

Transforms are separated by ``|`` and applied left to right. Options are keyword arguments
whose values are Python literals, read with ``ast.literal_eval``: the text is never evaluated.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

# Each transform jaxviz knows, with the options it accepts (as JAX names them).
TRANSFORMS: dict[str, tuple[str, ...]] = {
    "grad": ("argnums", "has_aux", "holomorphic", "allow_int"),
    "value_and_grad": ("argnums", "has_aux", "holomorphic", "allow_int"),
    "jacfwd": ("argnums", "has_aux", "holomorphic"),
    "jacrev": ("argnums", "has_aux", "holomorphic", "allow_int"),
    "hessian": ("argnums", "has_aux", "holomorphic"),
    "vmap": ("in_axes", "out_axes", "axis_name", "axis_size", "spmd_axis_name"),
    "jit": ("static_argnums", "static_argnames", "donate_argnums", "inline"),
    "pmap": ("in_axes", "out_axes", "axis_name", "static_broadcasted_argnums", "axis_size"),
    "checkpoint": ("prevent_cse", "static_argnums", "policy"),
}
ALIASES = {"remat": "checkpoint"}

PRESETS = {
    "grad": "grad",
    "vmap": "vmap",
    "jit": "jit",
    "pmap": "pmap",
    "grad | vmap | jit": "grad | vmap | jit",
    "grad | grad | grad": "grad | grad | grad",
}


class PipelineError(ValueError):
    """A pipeline text that cannot be read; the message says where and why."""


@dataclass(frozen=True)
class TransformSpec:
    """One transform of a pipeline, with its options."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.options:
            return self.name
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{self.name}({opts})"

    def __hash__(self) -> int:
        return hash((self.name, repr(sorted(self.options.items()))))


def parse_pipeline(text: str) -> list[TransformSpec]:
    """Read ``a | b(opt=1) | c`` into transform specs; an empty text is an empty pipeline."""
    text = text.strip()
    if not text:
        return []
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as err:
        raise PipelineError(f"pipeline {text!r}: not a valid pipeline ({err.msg})") from None
    return [_parse_transform(term) for term in _split_bitor(tree)]


def format_pipeline(specs: list[TransformSpec]) -> str:
    """The text form that ``parse_pipeline`` reads back."""
    return " | ".join(str(s) for s in specs)


def _split_bitor(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _split_bitor(node.left) + _split_bitor(node.right)
    return [node]


def _parse_transform(node: ast.expr) -> TransformSpec:
    if isinstance(node, ast.Name):
        return _make_spec(node.id, {})
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.args:
            raise PipelineError(f"{node.func.id}: give options as keywords, e.g. "
                                f"{node.func.id}(argnums=0)")
        options = {kw.arg: _literal(node.func.id, kw) for kw in node.keywords}
        return _make_spec(node.func.id, options)
    raise PipelineError(f"{ast.unparse(node)!r} is not a transform; expected one of "
                        f"{', '.join(TRANSFORMS)}")


def _literal(transform: str, kw: ast.keyword) -> Any:
    if kw.arg is None:
        raise PipelineError(f"{transform}: **kwargs are not supported")
    try:
        return ast.literal_eval(kw.value)
    except ValueError:
        raise PipelineError(f"{transform}({kw.arg}=...): the value must be a literal such as "
                            f"0, None, (0, None) or 'i', not {ast.unparse(kw.value)!r}") from None


def _make_spec(name: str, options: dict[str, Any]) -> TransformSpec:
    name = ALIASES.get(name, name)
    if name not in TRANSFORMS:
        raise PipelineError(f"unknown transform {name!r}; known: {', '.join(TRANSFORMS)}")
    unknown = sorted(set(options) - set(TRANSFORMS[name]))
    if unknown:
        raise PipelineError(f"{name} has no option {unknown[0]!r}; its options: "
                            f"{', '.join(TRANSFORMS[name])}")
    return TransformSpec(name, options)


def stage_titles(function: str, specs: list[TransformSpec]) -> list[str]:
    """``f``, ``grad(f)``, ``vmap(grad(f))``, ...: one title per stage."""
    titles = [function]
    for spec in specs:
        titles.append(f"{spec.name}({titles[-1]})")
    return titles
