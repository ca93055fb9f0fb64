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
    "jit": ("static_argnums", "static_argnames", "donate_argnums", "inline", "in_shardings",
            "out_shardings"),
    "pmap": ("in_axes", "out_axes", "axis_name", "static_broadcasted_argnums", "axis_size"),
    "checkpoint": ("prevent_cse", "static_argnums", "policy"),
}
ALIASES = {"remat": "checkpoint"}
# Steps below the jaxpr: they end a pipeline (``grad | jit | compile``) and make stages of
# their own from the last jaxpr stage: StableHLO (lower), XLA's optimized HLO (compile).
BELOW = ("lower", "compile")

PRESETS = {
    "grad": "grad",
    "vmap": "vmap",
    "jit": "jit",
    "pmap": "pmap",
    "grad | vmap | jit": "grad | vmap | jit",
    "grad | grad | grad": "grad | grad | grad",
    "grad | jit | compile": "grad | jit | compile",
}


class PipelineError(ValueError):
    """A pipeline text that cannot be read; the message says where and why."""


class PSpec(tuple):
    """``P('data', None)`` in a pipeline's text: a PartitionSpec as plain data (each entry a
    mesh axis name, a tuple of names, or None); the worker makes it a ``NamedSharding`` over
    the mesh named on the command line."""

    def __repr__(self) -> str:
        return f"P({', '.join(repr(x) for x in self)})"


def _specs(v: Any) -> bool:
    """A PartitionSpec, None, or a tuple/list/dict of them (a prefix of the arguments)."""
    if v is None or isinstance(v, PSpec):
        return True
    items = v.values() if isinstance(v, dict) else v if isinstance(v, (tuple, list)) else None
    return items is not None and all(_specs(x) for x in items)


def spec_axes(v: Any) -> list[str]:
    """The mesh axis names a sharding option names, in the order first met."""
    if isinstance(v, PSpec):
        names = [n for x in v for n in ((x,) if isinstance(x, str) else x or ())]
        return list(dict.fromkeys(names))
    items = v.values() if isinstance(v, dict) else v if isinstance(v, (tuple, list)) else ()
    return list(dict.fromkeys(n for x in items for n in spec_axes(x)))


def _ints(v: Any) -> bool:
    return _is_int(v) or isinstance(v, (tuple, list)) and all(_is_int(x) for x in v)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _names(v: Any) -> bool:
    return isinstance(v, str) or isinstance(v, (tuple, list)) and all(
        isinstance(x, str) for x in v)


def _axes(v: Any) -> bool:
    if v is None or _is_int(v):
        return True
    items = v.values() if isinstance(v, dict) else v if isinstance(v, (tuple, list)) else None
    return items is not None and all(_axes(x) for x in items)


# option → (check, what is allowed): JAX's own errors for a bad option are internal ones
_INTS = (_ints, "an int or a tuple of ints, e.g. 0 or (0, 2)")
_BOOL = (lambda v: isinstance(v, bool), "True or False")
OPTION_CHECKS: dict[str, tuple[Any, str]] = {
    "argnums": _INTS, "static_argnums": _INTS, "donate_argnums": _INTS,
    "static_broadcasted_argnums": _INTS,
    "static_argnames": (_names, "a name or a tuple of names, e.g. 'n' or ('n', 'mode')"),
    "in_axes": (_axes, "an int, None, or a tuple/list/dict of them, e.g. (0, None)"),
    "out_axes": (_axes, "an int, None, or a tuple/list/dict of them, e.g. 0"),
    "axis_name": (lambda v: isinstance(v, str) and bool(v), "a name, e.g. 'i'"),
    "spmd_axis_name": (lambda v: isinstance(v, str) and bool(v), "a name, e.g. 'i'"),
    "axis_size": (lambda v: _is_int(v) and v > 0, "a positive int"),
    "policy": (lambda v: isinstance(v, str), "the name of a jax.checkpoint_policies entry, "
                                             "e.g. 'dots_saveable'"),
    "in_shardings": (_specs, "a PartitionSpec or a tuple of them, e.g. P('data', None) or "
                             "(P(), P('data'))"),
    "out_shardings": (_specs, "a PartitionSpec or a tuple of them, e.g. P('data')"),
    "has_aux": _BOOL, "holomorphic": _BOOL, "allow_int": _BOOL, "inline": _BOOL,
    "prevent_cse": _BOOL,
}


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
    specs = [_parse_transform(term) for term in _split_bitor(tree)]
    _check_below(specs)
    return specs


def _check_below(specs: list[TransformSpec]) -> None:
    """``lower`` and ``compile`` come last, each once, ``lower`` before ``compile``."""
    names = [s.name for s in specs]
    tail = [n for n in names if n in BELOW]
    if not tail:
        return
    first = names.index(tail[0])
    if any(n not in BELOW for n in names[first:]):
        raise PipelineError(f"{tail[0]} must come after every transform (it compiles the "
                            f"jaxpr they make), e.g. grad | jit | {tail[0]}")
    if tail not in (["lower"], ["compile"], ["lower", "compile"]):
        raise PipelineError("lower and compile each come once, lower first: "
                            "... | lower | compile")


def split_below(specs: list[TransformSpec]) -> tuple[list[TransformSpec], list[str]]:
    """The transforms, and the steps below the jaxpr that end the pipeline."""
    return [s for s in specs if s.name not in BELOW], [s.name for s in specs
                                                       if s.name in BELOW]


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
        return literal(kw.value)
    except ValueError:
        raise PipelineError(f"{transform}({kw.arg}=...): the value must be a literal such as "
                            f"0, None, (0, None), 'i' or P('data', None), not "
                            f"{ast.unparse(kw.value)!r}") from None


def literal(node: ast.expr) -> Any:
    """``ast.literal_eval``, with ``P(...)`` (or ``PartitionSpec(...)``) of literal names
    read as a PSpec: still no text is evaluated."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in ("P", "PartitionSpec") and not node.keywords:
        entries = tuple(ast.literal_eval(a) for a in node.args)
        if not all(e is None or _names(e) for e in entries):
            raise ValueError("P takes axis names, tuples of them, or None")
        return PSpec(tuple(e) if isinstance(e, list) else e for e in entries)
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [literal(e) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    return ast.literal_eval(node)


def _make_spec(name: str, options: dict[str, Any]) -> TransformSpec:
    name = ALIASES.get(name, name)
    if name in BELOW:
        if options:
            raise PipelineError(f"{name} takes no options")
        return TransformSpec(name, {})
    if name not in TRANSFORMS:
        raise PipelineError(f"unknown transform {name!r}; known: "
                            f"{', '.join([*TRANSFORMS, *BELOW])}")
    unknown = sorted(set(options) - set(TRANSFORMS[name]))
    if unknown:
        raise PipelineError(f"{name} has no option {unknown[0]!r}; its options: "
                            f"{', '.join(TRANSFORMS[name])}")
    for key, value in options.items():
        check, allowed = OPTION_CHECKS[key]
        if not check(value):
            raise PipelineError(f"{name}({key}={value!r}): {key} must be {allowed}")
    return TransformSpec(name, options)


def stage_titles(function: str, specs: list[TransformSpec]) -> list[str]:
    """``f``, ``grad(f)``, ``vmap(grad(f))``, ...: one title per stage."""
    titles = [function]
    for spec in specs:
        titles.append(f"{spec.name}({titles[-1]})")
    return titles


def parse_shardings(text: str, flag: str = "--in-shardings") -> Any:
    """``P('data', None), P()`` (one PartitionSpec per argument, or one for all) as data."""
    try:
        value = literal(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ValueError):
        value = None
    if value is None or not _specs(value):
        raise PipelineError(f"{flag} {text!r}: give PartitionSpecs, one per argument, e.g. "
                            f"{flag} \"P('data', None), P()\"")
    return value


def with_jit_options(pipeline: str, options: dict[str, Any]) -> str:
    """The pipeline with ``options`` set on its last transform when that is a jit, else on a
    jit added at its end (before lower and compile)."""
    if not options:
        return pipeline
    transforms, below = split_below(parse_pipeline(pipeline))
    if transforms and transforms[-1].name == "jit":
        last = transforms.pop()
        options = {**last.options, **options}
    transforms.append(_make_spec("jit", options))
    return format_pipeline(transforms + [TransformSpec(b) for b in below])
