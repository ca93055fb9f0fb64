"""Stages of a pipeline: the function each stage computes and the arguments it is traced with.

The user gives the arguments of the final, fully transformed function. A stage before a
``vmap`` or ``pmap`` sees them with the mapped axes removed (following ``in_axes``), so every
stage can be traced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax

from jaxviz.core.pipeline_spec import TransformSpec, stage_titles

MAPPING_TRANSFORMS = ("vmap", "pmap")


class ArgumentShapeError(ValueError):
    """Arguments that do not have the axis a vmap or pmap maps over."""


@dataclass
class StagePlan:
    """What to trace for one stage."""

    index: int
    title: str
    fn: Callable
    args: list
    kwargs: dict
    transform: str  # the transform that made this stage ("" for the function itself)


def apply_transform(spec: TransformSpec, fn: Callable) -> Callable:
    """``jax.<name>(fn, **options)``."""
    transform = jax.checkpoint if spec.name == "checkpoint" else getattr(jax, spec.name)
    return transform(fn, **spec.options)


def plan_stages(fn: Callable, name: str, specs: list[TransformSpec], args: list,
                kwargs: dict) -> list[StagePlan]:
    """One plan per stage: ``f``, ``specs[0](f)``, ``specs[1](specs[0](f))``, ..."""
    fns = [fn]
    for spec in specs:
        fns.append(apply_transform(spec, fns[-1]))
    stage_args = _args_per_stage(specs, args)
    titles = stage_titles(name, specs)
    transforms = [""] + [str(s) for s in specs]
    return [StagePlan(i, titles[i], fns[i], stage_args[i], kwargs, transforms[i])
            for i in range(len(fns))]


def static_argnums(specs: list[TransformSpec]) -> tuple[int, ...]:
    """Arguments any ``jit`` of the pipeline treats as static: every stage traces them so."""
    nums: set[int] = set()
    for spec in specs:
        if spec.name == "jit":
            value = spec.options.get("static_argnums", ())
            nums.update((value,) if isinstance(value, int) else value)
    return tuple(sorted(nums))


def _args_per_stage(specs: list[TransformSpec], args: list) -> list[list]:
    """Walk the pipeline backwards, removing each mapped axis from the arguments."""
    per_stage = [list(args)]
    current = list(args)
    for spec in reversed(specs):
        if spec.name in MAPPING_TRANSFORMS:
            current = unmap_arguments(current, spec.options.get("in_axes", 0), spec.name)
        per_stage.append(current)
    return per_stage[::-1]


def unmap_arguments(args: list, in_axes: Any, transform: str = "vmap") -> list:
    """The arguments one level in: each mapped axis removed (index 0 taken), as ``in_axes`` says."""
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if isinstance(in_axes, tuple):
        if len(in_axes) != len(args):
            raise ArgumentShapeError(
                f"{transform}(in_axes={in_axes!r}) gives {len(in_axes)} axes but the function is "
                f"called with {len(args)} arguments")
        return [_unmap_tree(a, ax, f"argument {i}", transform)
                for i, (a, ax) in enumerate(zip(args, in_axes))]
    return [_unmap_tree(a, in_axes, f"argument {i}", transform) for i, a in enumerate(args)]


def _unmap_tree(arg: Any, axes: Any, where: str, transform: str) -> Any:
    """Apply an ``in_axes`` prefix tree to one argument."""
    if axes is None or isinstance(axes, int):
        return jax.tree_util.tree_map(lambda leaf: _unmap_leaf(leaf, axes, where, transform), arg)
    if isinstance(axes, dict) and isinstance(arg, dict):
        return {k: _unmap_tree(v, axes.get(k), f"{where}[{k!r}]", transform)
                for k, v in arg.items()}
    if isinstance(axes, (tuple, list)) and isinstance(arg, (tuple, list)) \
            and len(axes) == len(arg):
        out = [_unmap_tree(v, ax, f"{where}[{i}]", transform)
               for i, (v, ax) in enumerate(zip(arg, axes))]
        return type(arg)(out) if not hasattr(arg, "_fields") else type(arg)(*out)
    raise ArgumentShapeError(f"{transform}: in_axes {axes!r} does not match the structure of "
                             f"{where}")


def _unmap_leaf(leaf: Any, axis: int | None, where: str, transform: str) -> Any:
    if axis is None:
        return leaf
    shape = getattr(leaf, "shape", None)
    if shape is None or len(shape) == 0:
        raise ArgumentShapeError(
            f"{transform} maps {where} over axis {axis}, but it is a scalar; give it a batch "
            f"axis (e.g. jnp.stack([...])) or set in_axes=None for it")
    axis = axis % len(shape) if -len(shape) <= axis < len(shape) else None
    if axis is None:
        raise ArgumentShapeError(f"{transform} maps {where} over an axis it does not have "
                                 f"(its shape is {tuple(shape)})")
    if isinstance(leaf, jax.ShapeDtypeStruct):
        new_shape = tuple(d for i, d in enumerate(shape) if i != axis)
        return jax.ShapeDtypeStruct(new_shape, leaf.dtype)
    return jax.lax.index_in_dim(leaf, 0, axis, keepdims=False)
