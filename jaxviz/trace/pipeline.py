"""Stages of a pipeline: the function each stage computes and the arguments it is traced with.

The user gives the arguments of the final, fully transformed function. A stage before a
``vmap`` or ``pmap`` sees them with the mapped axes removed (following ``in_axes`` for the
positional ones; keyword arguments are always mapped over axis 0, as JAX maps them), and with
the mapping's ``axis_name`` bound (``make_jaxpr(axis_env=...)``), so collectives such as
``lax.psum(x, 'i')`` trace in every stage.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax

from jaxviz.core.pipeline_spec import PSpec, TransformSpec, spec_axes, stage_titles

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
    # axis names that mapping transforms later in the pipeline bind, with their sizes
    axis_env: list[tuple[str, int]] = field(default_factory=list)


_MESH: list = []  # the jax Mesh that P(...) in a pipeline's jit names (``pipeline_mesh``)
SHARDING_OPTIONS = ("in_shardings", "out_shardings")


@contextlib.contextmanager
def pipeline_mesh(mesh):
    """While tracing: P(...) in ``jit(in_shardings=...)`` names axes of ``mesh``."""
    _MESH.append(mesh)
    try:
        yield
    finally:
        _MESH.pop()


def mesh_for(value: Any):
    """The mesh a sharding option is over: the one set, else all devices along the one
    axis the option names."""
    if _MESH and _MESH[-1] is not None:
        return _MESH[-1]
    names = spec_axes(value)
    if len(names) > 1:
        raise ArgumentShapeError(f"jit's shardings name the mesh axes {', '.join(names)}: "
                                 f"name the mesh, e.g. jaxviz sharding --mesh "
                                 f"'{names[0]}=2,{names[1]}=2'")
    return jax.sharding.Mesh(jax.devices(), tuple(names) or ("devices",))


def named_shardings(value: Any, mesh) -> Any:
    """PSpecs (in a tuple, list or dict) as NamedShardings over ``mesh``."""
    if isinstance(value, PSpec):
        return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(*value))
    if isinstance(value, dict):
        return {k: named_shardings(v, mesh) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(named_shardings(v, mesh) for v in value)
    return value


def apply_transform(spec: TransformSpec, fn: Callable) -> Callable:
    """``jax.<name>(fn, **options)``."""
    options = dict(spec.options)
    for key in SHARDING_OPTIONS:
        if key in options:
            options[key] = named_shardings(options[key], mesh_for(options[key]))
    if spec.name == "checkpoint" and "policy" in options:
        options["policy"] = _policy(options["policy"])
    transform = jax.checkpoint if spec.name == "checkpoint" else getattr(jax, spec.name)
    return transform(fn, **options)


def _policy(text: str) -> Callable:
    """``checkpoint(policy='dots_saveable')``: a ``jax.checkpoint_policies`` entry by name;
    a factory called with literal arguments, ``policy="save_only_these_names('h')"``."""
    name, args, kwargs = _policy_call(text)
    policy = getattr(jax.checkpoint_policies, name, None)
    if policy is None or name.startswith("_"):
        raise ArgumentShapeError(f"checkpoint(policy={text!r}): jax.checkpoint_policies has "
                                 f"no {name!r}; known: {_known_policies()}")
    factory = "prim" not in inspect.signature(policy).parameters and \
        name not in ("everything_saveable", "nothing_saveable")
    if factory and args is None:
        raise ArgumentShapeError(
            f"checkpoint(policy={text!r}): {name} makes a policy from names (or policies); "
            f"call it in the text, e.g. policy=\"{name}('layer_out')\" for the values "
            "named with jax.ad_checkpoint.checkpoint_name(x, 'layer_out')")
    if args is None:
        return policy
    try:
        return policy(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentShapeError(f"checkpoint(policy={text!r}): {exc}") from None


def _policy_call(text: str) -> tuple[str, tuple | None, dict | None]:
    """(name, positional arguments, keyword arguments) of a policy's text; None, None when
    it is a bare name."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return text, None, None
    if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name):
        return text, None, None
    try:
        args = tuple(ast.literal_eval(a) for a in tree.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in tree.keywords if k.arg}
    except ValueError as exc:
        raise ArgumentShapeError(f"checkpoint(policy={text!r}): the arguments must be "
                                 f"literals (names in quotes): {exc}") from None
    return tree.func.id, args, kwargs


def _known_policies() -> str:
    return ", ".join(n for n in dir(jax.checkpoint_policies) if not n.startswith("_"))


def plan_stages(fn: Callable, name: str, specs: list[TransformSpec], args: list,
                kwargs: dict) -> list[StagePlan]:
    """One plan per stage: ``f``, ``specs[0](f)``, ``specs[1](specs[0](f))``, ..."""
    fns = [fn]
    for spec in specs:
        fns.append(apply_transform(spec, fns[-1]))
    per_stage = _args_per_stage(specs, args, kwargs)
    titles = stage_titles(name, specs)
    transforms = [""] + [str(s) for s in specs]
    return [StagePlan(i, titles[i], fns[i], *per_stage[i], transforms[i], per_stage_env)
            for i, per_stage_env in enumerate(_axis_envs(specs, per_stage))]


# options naming arguments that a transform treats as static: every stage traces them so
STATIC_NUMS = {"jit": "static_argnums", "pmap": "static_broadcasted_argnums",
               "checkpoint": "static_argnums"}


def static_argnums(specs: list[TransformSpec]) -> tuple[int, ...]:
    """Positions that a ``jit``, ``pmap`` or ``checkpoint`` of the pipeline treats as static."""
    nums: set[int] = set()
    for spec in specs:
        value = spec.options.get(STATIC_NUMS.get(spec.name, ""), ())
        nums.update((value,) if isinstance(value, int) else value)
    return tuple(sorted(nums))


def static_argnames(specs: list[TransformSpec]) -> tuple[str, ...]:
    """Keyword arguments that a ``jit`` of the pipeline treats as static."""
    names: list[str] = []
    for spec in specs:
        value = spec.options.get("static_argnames", ()) if spec.name == "jit" else ()
        names += [value] if isinstance(value, str) else list(value)
    return tuple(names)


def _args_per_stage(specs: list[TransformSpec], args: list, kwargs: dict
                    ) -> list[tuple[list, dict]]:
    """Walk the pipeline backwards, removing each mapped axis from the arguments."""
    current = (list(args), dict(kwargs))
    per_stage = [current]
    for spec in reversed(specs):
        if spec.name in MAPPING_TRANSFORMS:
            a, k = current
            current = (unmap_arguments(a, _in_axes(spec, len(a)), spec.name),
                       {n: _unmap_tree(v, 0, f"keyword argument {n!r}", spec.name)
                        for n, v in k.items()})
        per_stage.append(current)
    return per_stage[::-1]


def _in_axes(spec: TransformSpec, count: int) -> Any:
    """``in_axes``, with None for the arguments a pmap broadcasts as static (not mapped)."""
    in_axes = spec.options.get("in_axes", 0)
    static = spec.options.get("static_broadcasted_argnums", ())
    static = {static} if isinstance(static, int) else set(static)
    if not static:
        return in_axes
    axes = list(in_axes) if isinstance(in_axes, (tuple, list)) else [in_axes] * count
    return tuple(None if i in static else ax for i, ax in enumerate(axes))


def _axis_envs(specs: list[TransformSpec], per_stage: list[tuple[list, dict]]
               ) -> list[list[tuple[str, int]]]:
    """For each stage, the axis names bound by the mapping transforms applied after it."""
    envs: list[list[tuple[str, int]]] = [[]]
    for i in range(len(specs) - 1, -1, -1):
        spec, env = specs[i], list(envs[0])
        name = spec.options.get("axis_name")
        if spec.name in MAPPING_TRANSFORMS and name:
            size = spec.options.get("axis_size") or _mapped_size(spec, per_stage[i + 1])
            env.append((name, size))
        envs.insert(0, env)
    return envs


def mapped_sizes(spec: TransformSpec, args: list, kwargs: dict | None = None
                 ) -> dict[int | str, int]:
    """The size of the axis ``spec`` maps over, per mapped argument (position, or keyword
    name), read off its first leaf that has the axis."""
    in_axes = _in_axes(spec, len(args))
    axes = in_axes if isinstance(in_axes, (tuple, list)) else [in_axes] * len(args)
    pairs: list = [(i, a, ax) for i, (a, ax) in enumerate(zip(args, axes))
                   if isinstance(ax, int)]
    pairs += [(k, v, 0) for k, v in (kwargs or {}).items()]
    sizes: dict[int | str, int] = {}
    for key, arg, axis in pairs:
        for leaf in jax.tree_util.tree_leaves(arg):
            shape = getattr(leaf, "shape", ())
            if len(shape) > axis:
                sizes[key] = int(shape[axis])
                break
    return sizes


def too_few_devices(argument: int | str, rows: int, n_local: int) -> tuple[str, str]:
    """What to say, and the fix, when a pmap maps more rows than there are devices."""
    devices = "1 device" if n_local == 1 else f"{n_local} devices"
    return (f"pmap maps argument {argument}'s {rows} rows onto {devices}: it needs one device "
            f"per row ({rows} rows, {devices}).",
            f"give at most {n_local} rows, or simulate {rows} CPU devices (the Devices "
            f"panel's CPU devices, or --host-devices {rows})")


def check_pmap_devices(specs: list[TransformSpec], plans: list[StagePlan], n_local: int
                       ) -> None:
    """A plain error, before JAX's own (a squeeze of the wrong size), when a pmap of the
    pipeline maps more rows than there are local devices."""
    for k, spec in enumerate(specs):
        if spec.name != "pmap":
            continue
        for key, rows in mapped_sizes(spec, plans[k + 1].args, plans[k + 1].kwargs).items():
            if rows > n_local:
                message, fix = too_few_devices(key, rows, n_local)
                raise ArgumentShapeError(f"{message} Fix: {fix}.")


def _mapped_size(spec: TransformSpec, outer: tuple[list, dict]) -> int:
    """The size of the axis ``spec`` maps over, read off the first mapped argument."""
    sizes = mapped_sizes(spec, *outer)
    if sizes:
        return next(iter(sizes.values()))
    raise ArgumentShapeError(f"{spec.name}: cannot tell the size of the mapped axis from the "
                             f"arguments; give it as {spec.name}(axis_size=N)")


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
