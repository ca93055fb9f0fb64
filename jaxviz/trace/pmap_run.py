"""pmap across the local devices, run on the stage the user is looking at.

What runs depends on the stage and the *Inputs* choice, so that the default works:

- a stage the pipeline's ``pmap`` made runs as it is, on its own arguments (running pmap of
  a pmap would map a device axis the arguments do not have);
- *split* on an earlier stage maps the arguments as the pipeline's pmap does (its
  ``in_axes``), on the arguments the user gave; with no pmap in the pipeline it splits each
  argument whose leading axis divides among the devices, and where the function then fails
  on the shapes (``a @ b`` with both split), splits the first argument only and gives every
  device the others whole, and says so;
- *replicate* gives every device the same arguments; *as-is* takes the leading axis the
  arguments already carry as the device axis.

A failure says which argument, its rows and the devices. Results are plain data for the
protocol: per device, each output's shape, dtype, a preview, and its numbers (small arrays in
full, bigger ones summarised) for scripts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from jaxviz.core.errors import ErrorInfo
from jaxviz.core.ir.graph import to_dict
from jaxviz.trace.devices import InputError, prepared_stage
from jaxviz.trace.explain import explain
from jaxviz.trace.jaxpr_ir import stage_from_closed_jaxpr
from jaxviz.trace.pipeline import StagePlan, mapped_sizes, too_few_devices
from jaxviz.trace.session import make_jaxpr

PREVIEW_ELEMENTS = 8
FULL_VALUES = 64  # an output with at most this many numbers per device is given in full


@dataclass
class PmapCall:
    """What to run: ``fn`` is already mapped."""

    fn: Any
    args: list
    kwargs: dict
    title: str
    devices: int
    note: str = ""


def run_pmap(source: str, filename: str, function: str, args_text: str, mode: str = "split",
             axis_name: str = "i", devices: int | None = None, pipeline: str = "",
             stage: int = -1) -> dict:
    """Run the stage's function across the devices: per-device outputs, the wall time, the
    compile time apart, and the jaxpr of what ran."""
    prepared, index = prepared_stage(source, filename, function, args_text, pipeline, stage)
    n_local = min(devices or jax.local_device_count(), jax.local_device_count())
    try:  # planning runs the user's function too (its shapes, for split)
        call = plan_call(prepared, index, mode, axis_name, n_local)
        first, wall, out = _timed_twice(call)
        closed = make_jaxpr(StagePlan(index, call.title, call.fn, list(call.args),
                                      dict(call.kwargs), "pmap"), (), filename, (), None)[0]
    except InputError:
        raise
    except Exception as exc:
        raise InputError(explain(exc, filename, f"pmap of {prepared.plans[index].title}")) \
            from None
    ir = stage_from_closed_jaxpr(closed, 0, f"{call.title} on {call.devices} devices",
                                 filename, call.title)
    outputs = per_device_outputs(out, call.devices)
    for entry, device in zip(outputs, jax.local_devices()):
        entry["device"] = str(device)
    return {"outputs": outputs, "devices": call.devices, "wall_time": wall,
            "compile_time": max(first - wall, 0.0), "stage": to_dict(ir),
            "function": call.title, "note": call.note}


def _timed_twice(call: PmapCall) -> tuple[float, float, Any]:
    """The first call (compile included) and the second, timed; the second's outputs."""
    start = time.perf_counter()
    jax.block_until_ready(call.fn(*call.args, **call.kwargs))
    first = time.perf_counter() - start
    start = time.perf_counter()
    out = jax.block_until_ready(call.fn(*call.args, **call.kwargs))
    return first, time.perf_counter() - start, out


def plan_call(prepared, index: int, mode: str, axis_name: str, n_local: int) -> PmapCall:
    """Which function runs on which arguments, for this stage and mode (module docstring)."""
    plans, specs = prepared.plans, prepared.specs
    plan = plans[index]
    mapped = [k for k in range(index) if specs[k].name == "pmap"]
    if mapped:  # the pipeline's pmap made this stage, or one before it (pmap | jit)
        spec = specs[mapped[-1]]
        size = mapped_rows(spec, plan.args, plan.kwargs, n_local)
        return PmapCall(plan.fn, list(plan.args), dict(plan.kwargs), plan.title, size,
                        "this stage holds the pipeline's pmap: it runs as it is, on its own "
                        "arguments")
    later = _next_pmap(specs, index)
    if mode == "split" and later is not None:
        spec, outer = specs[later], plans[later + 1]
        options = {k: v for k, v in spec.options.items()
                   if k in ("in_axes", "static_broadcasted_argnums", "axis_name")}
        options.setdefault("axis_name", axis_name)
        size = mapped_rows(spec, outer.args, outer.kwargs, n_local)
        return PmapCall(jax.pmap(plan.fn, **options), list(outer.args), dict(outer.kwargs),
                        f"pmap({plan.title})", size,
                        f"split as the pipeline's {spec} maps the arguments you gave")
    return _own_pmap(plan, mode, axis_name, n_local)


def _next_pmap(specs: list, index: int) -> int | None:
    """The index of the pipeline's first pmap after stage ``index``, with no vmap between
    (a vmap changes the arguments' axes)."""
    for k in range(index, len(specs)):
        if specs[k].name == "pmap":
            return k
        if specs[k].name == "vmap":
            return None
    return None


def mapped_rows(spec, args: list, kwargs: dict, n_local: int) -> int:
    """The size of the axis a pmap maps, or a plain error when there are too few devices."""
    sizes = mapped_sizes(spec, args, kwargs)
    for key, rows in sizes.items():
        if rows > n_local:
            raise InputError(too_few(key, rows, n_local))
    return max(sizes.values(), default=n_local)


def too_few(argument: int | str, rows: int, n_local: int) -> ErrorInfo:
    message, fix = too_few_devices(argument, rows, n_local)
    return ErrorInfo(kind="arguments", message=message, hint=fix)


def _own_pmap(plan, mode: str, axis_name: str, n: int) -> PmapCall:
    """pmap of a stage that the pipeline does not map: by the *Inputs* choice."""
    args, kwargs = list(plan.args), dict(plan.kwargs)
    title = f"pmap({plan.title})"
    if mode == "as-is":
        rows = check_device_axis(args, n)
        return PmapCall(jax.pmap(plan.fn, axis_name=axis_name), args, kwargs, title, rows)
    if mode == "replicate":  # keyword arguments too: pmap maps them over their axis 0
        copies, kw = jax.tree_util.tree_map(
            lambda x: jax.numpy.broadcast_to(x, (n, *np.shape(x))), (args, kwargs))
        return PmapCall(jax.pmap(plan.fn, axis_name=axis_name), copies, kw, title, n,
                        f"every device gets the same arguments ({n} copies)")
    if kwargs and not all(_splits(v, n) for v in kwargs.values()):
        bad = next(k for k, v in kwargs.items() if not _splits(v, n))
        raise InputError(ErrorInfo(kind="arguments", message=f"keyword argument {bad!r} "
                         f"cannot be split across {n} devices: pmap maps every keyword "
                         f"argument over its leading axis, which must be a multiple of {n}.",
                         hint="pass it positionally, or choose 'replicate'"))
    return _split(plan, args, {k: _cut(v, n) for k, v in kwargs.items()}, axis_name, n, title)


def _split(plan, args: list, kwargs: dict, axis_name: str, n: int, title: str) -> PmapCall:
    """Split each argument whose leading axis divides among the devices; if the function
    fails on the shapes that makes, split the first argument only."""
    divides = [_splits(a, n) for a in args]
    if not any(divides):
        shape = np.shape(jax.tree_util.tree_leaves(args)[0]) if args else ()
        rows = shape[0] if shape else "no"
        raise InputError(ErrorInfo(kind="arguments", message=f"argument 0 has {rows} leading "
                         f"rows; splitting it across {n} devices needs a multiple of {n}.",
                         hint="choose 'replicate', or a leading size that divides evenly"))
    tries = [divides]
    if sum(divides) > 1 and divides[0]:
        tries.append([True] + [False] * (len(args) - 1))
    for k, split in enumerate(tries):
        call = PmapCall(jax.pmap(plan.fn, axis_name=axis_name,
                                 in_axes=tuple(0 if s else None for s in split)),
                        [_cut(a, n) if s else a for a, s in zip(args, split)], kwargs,
                        title, n, _split_note(split, k > 0))
        try:
            jax.eval_shape(call.fn, *call.args, **call.kwargs)
        except Exception:  # the shapes do not fit: the next try, or the error of the last
            if k == len(tries) - 1:
                raise
            continue
        return call
    raise AssertionError("unreachable")


def _splits(arg, n: int) -> bool:
    leaves = jax.tree_util.tree_leaves(arg)
    return bool(leaves) and all(np.shape(x) and np.shape(x)[0] % n == 0 for x in leaves)


def _cut(arg, n: int):
    return jax.tree_util.tree_map(lambda x: jax.numpy.reshape(
        x, (n, np.shape(x)[0] // n, *np.shape(x)[1:])), arg)


def _split_note(split: list[bool], retried: bool) -> str:
    kept = [str(i) for i, s in enumerate(split) if not s]
    if not kept:
        return "every argument's leading axis split across the devices"
    whole = f"argument{'s' if len(kept) > 1 else ''} {', '.join(kept)} whole on every device"
    why = " (splitting every argument did not fit the function's shapes)" if retried else \
        " (its leading axis does not divide among the devices)"
    return f"split argument{'s' if sum(split) > 1 else ''} " \
        f"{', '.join(str(i) for i, s in enumerate(split) if s)}; {whole}{why}"


def check_device_axis(args: list, n_local: int) -> int:
    """The device count the arguments ask for; a clear error when it exceeds the devices."""
    sizes = {}
    for i, a in enumerate(args):
        for leaf in jax.tree_util.tree_leaves(a):
            shape = np.shape(leaf)
            if not shape:
                raise InputError(ErrorInfo(kind="arguments", message=f"argument {i} is a "
                                 "scalar: pmap needs a leading device axis on every argument.",
                                 hint="choose 'replicate' or 'split', or give it a leading axis"))
            sizes[i] = shape[0]
    for i, size in sizes.items():
        if size > n_local:
            raise InputError(too_few(i, size, n_local))
    distinct = set(sizes.values())
    if len(distinct) > 1:
        raise InputError(ErrorInfo(kind="arguments", message=f"the leading axes differ "
                         f"({sorted(distinct)}): pmap maps one device axis for all arguments."))
    return distinct.pop() if distinct else n_local


def per_device_outputs(out: Any, n: int) -> list[dict]:
    """Each device's slice of each output leaf: shape, dtype, a preview, and the numbers."""
    leaves = jax.tree_util.tree_leaves_with_path(out)
    devices = []
    for i in range(n):
        items = []
        for path, leaf in leaves:
            value = np.asarray(leaf[i])
            items.append({"path": jax.tree_util.keystr(path) or "result",
                          "shape": list(value.shape), "dtype": str(value.dtype),
                          "preview": np.array2string(value, threshold=PREVIEW_ELEMENTS,
                                                     precision=4, edgeitems=3),
                          **numbers(value)})
        devices.append({"index": i, "outputs": items})
    return devices


def numbers(value: np.ndarray) -> dict:
    """``values`` (nested lists) for a small array; a summary for a bigger one."""
    if value.size <= FULL_VALUES:
        return {"values": value.tolist()}
    if not np.issubdtype(value.dtype, np.number):
        return {"summary": {"size": int(value.size)}}
    as_float = value.astype(np.float64)
    return {"summary": {"size": int(value.size), "min": float(np.nanmin(as_float)),
                        "max": float(np.nanmax(as_float)), "mean": float(np.nanmean(as_float)),
                        "nan": int(np.isnan(as_float).sum())}}
