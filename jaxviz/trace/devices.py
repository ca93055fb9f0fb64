"""Devices: the worker's local devices, the function run under pmap across them, and the
tutorial's timing of eager against jit. Everything returned is plain data for the protocol.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import jax
import numpy as np

from jaxviz.core.errors import ErrorInfo
from jaxviz.core.ir import to_dict
from jaxviz.trace.args import evaluate_arguments
from jaxviz.trace.explain import explain, guarded
from jaxviz.trace.jaxpr_ir import stage_from_closed_jaxpr
from jaxviz.trace.session import find_function, run_module

MODES = ("split", "replicate", "as-is")
PREVIEW_ELEMENTS = 8


def describe_device(device) -> dict:
    """Platform, kind, id, process index, and memory where JAX reports it."""
    info = {"id": device.id, "platform": device.platform, "kind": device.device_kind,
            "process_index": device.process_index, "memory_bytes": None}
    try:
        stats = device.memory_stats() or {}
        info["memory_bytes"] = stats.get("bytes_limit")
    except Exception:  # CPU devices and some backends report nothing
        pass
    return info


def list_devices() -> tuple[list[dict], str]:
    """All local devices and the default backend's name."""
    return [describe_device(d) for d in jax.local_devices()], jax.default_backend()


class InputError(Exception):
    """Inputs that cannot run as asked; carries the ErrorInfo to answer with."""

    def __init__(self, info: ErrorInfo):
        super().__init__(info.message)
        self.info = info


def load_function(source: str, filename: str, function: str, args_text: str):
    """The function and its concrete arguments, or InputError."""
    fn, calls = load_calls(source, filename, function, [args_text])
    return fn, *calls[0]


def load_stage(source: str, filename: str, function: str, args_text: str, pipeline: str,
               stage: int = -1):
    """The function of one stage of the pipeline (``-1``: its last jaxpr stage; a lower or
    compile stage stands for the jaxpr stage it was made from), with that stage's arguments:
    those the user gave, with the axes of any later vmap or pmap taken out. Returns the plan
    of the stage and the one before it (None for the function itself)."""
    from jaxviz.trace.session import prepare

    prepared, error = prepare(source, filename, function, args_text, pipeline)
    if error:
        raise InputError(error)
    plans = prepared.plans
    index = len(plans) - 1 if stage < 0 or stage >= len(plans) else stage
    plan = plans[index]
    for i, leaf in enumerate(jax.tree_util.tree_leaves(plan.args)):
        if isinstance(leaf, jax.ShapeDtypeStruct):
            raise InputError(ErrorInfo(kind="arguments", message=f"Argument leaf {i} is the "
                             f"abstract shorthand {leaf.dtype}{list(leaf.shape)}: running needs "
                             "values.", hint="give concrete arrays, e.g. jnp.ones((8, 3))"))
    return plan, plans[index - 1] if index else None


def load_calls(source: str, filename: str, function: str, texts: list[str]):
    """The function, and the concrete (args, kwargs) of each arguments text: the module runs
    once, every text is evaluated in its namespace."""
    namespace, error = run_module(source, filename)
    if error:
        raise InputError(error)
    fn, error = find_function(namespace, function, filename)
    if error:
        raise InputError(error)
    return fn, [_concrete_arguments(text, namespace) for text in texts]


def _concrete_arguments(args_text: str, namespace: dict):
    values, error = guarded("arguments", "<arguments>")(evaluate_arguments, args_text, namespace)
    if error:
        error.message = f"The arguments expression {args_text!r} failed: {error.message}"
        raise InputError(error)
    args, kwargs = values
    for i, leaf in enumerate(jax.tree_util.tree_leaves(args)):
        if isinstance(leaf, jax.ShapeDtypeStruct):
            raise InputError(ErrorInfo(kind="arguments", message=f"Argument leaf {i} is the "
                             f"abstract shorthand {leaf.dtype}{list(leaf.shape)}: running needs "
                             "values.", hint="give concrete arrays, e.g. jnp.ones((8, 3))"))
    return args, kwargs


# --- pmap ------------------------------------------------------------------------------------


def device_args(args: list, mode: str, n: int) -> list:
    """Give every array argument a leading device axis of size ``n`` (split or replicate)."""
    def place(leaf, where: str):
        arr = np.asarray(leaf) if not hasattr(leaf, "shape") else leaf
        if mode == "replicate":
            return jax.numpy.broadcast_to(arr, (n, *np.shape(arr)))
        shape = np.shape(arr)
        if not shape or shape[0] % n:
            size = shape[0] if shape else "no"
            raise InputError(ErrorInfo(kind="arguments", message=f"{where} has {size} leading "
                             f"axis; splitting it across {n} devices needs a multiple of {n}.",
                             hint="choose 'replicate', or a leading size that divides evenly"))
        return arr.reshape(n, shape[0] // n, *shape[1:])
    return [jax.tree_util.tree_map(lambda leaf, i=i: place(leaf, f"argument {i}"), a)
            for i, a in enumerate(args)]


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
            raise InputError(ErrorInfo(kind="arguments", message=f"argument {i} has a leading "
                             f"axis of {size}, but there are only {n_local} local devices.",
                             hint=f"use at most {n_local} (or simulate more host devices in the "
                                  f"device panel / --host-devices {size})"))
    distinct = set(sizes.values())
    if len(distinct) > 1:
        raise InputError(ErrorInfo(kind="arguments", message=f"the leading axes differ "
                         f"({sorted(distinct)}): pmap maps one device axis for all arguments."))
    return distinct.pop() if distinct else n_local


def _preview(value) -> str:
    return np.array2string(np.asarray(value), threshold=PREVIEW_ELEMENTS, precision=4,
                           edgeitems=3)


def per_device_outputs(out: Any, n: int) -> list[dict]:
    """Each device's slice of each output leaf: shape, dtype and a preview of the values."""
    leaves = jax.tree_util.tree_leaves_with_path(out)
    devices = []
    for i in range(n):
        items = [{"path": jax.tree_util.keystr(path) or "result", "shape": list(np.shape(leaf)[1:]),
                  "dtype": str(leaf.dtype), "preview": _preview(leaf[i])}
                 for path, leaf in leaves]
        devices.append({"index": i, "outputs": items})
    return devices


def run_pmap(source: str, filename: str, function: str, args_text: str, mode: str = "split",
             axis_name: str = "i", devices: int | None = None, pipeline: str = "",
             stage: int = -1) -> dict:
    """Run ``pmap(g, axis_name)``, ``g`` the function of the pipeline's stage ``stage``
    (``f`` itself with no pipeline): per-device outputs, wall time, compile time, the stage."""
    plan, _ = load_stage(source, filename, function, args_text, pipeline, stage)
    fn, args, kwargs, function = plan.fn, list(plan.args), dict(plan.kwargs), plan.title
    n_local = jax.local_device_count()
    if mode != "as-is":
        args = device_args(args, mode, min(devices or n_local, n_local))
    n = check_device_axis(args, n_local)
    mapped = jax.pmap(fn, axis_name=axis_name)
    try:
        start = time.perf_counter()
        jax.block_until_ready(mapped(*args, **kwargs))
        first = time.perf_counter() - start
        start = time.perf_counter()
        out = jax.block_until_ready(mapped(*args, **kwargs))
        wall = time.perf_counter() - start
        closed = jax.make_jaxpr(mapped)(*args, **kwargs)
    except Exception as exc:
        raise InputError(explain(exc, filename, f"pmap({function})")) from None
    stage = stage_from_closed_jaxpr(closed, 0, f"pmap({function}) on {n} devices", filename,
                                    f"pmap(axis_name={axis_name!r})")
    names = [str(d) for d in jax.local_devices()[:n]]
    outputs = per_device_outputs(out, n)
    for entry, name in zip(outputs, names):
        entry["device"] = name
    return {"outputs": outputs, "devices": n, "wall_time": wall,
            "compile_time": max(first - wall, 0.0), "stage": to_dict(stage),
            "function": f"pmap({function})"}


# --- eager versus jit ------------------------------------------------------------------------


def _timed(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(call())
        times.append(time.perf_counter() - start)
    return times


def run_bench(source: str, filename: str, function: str, args_text: str, repeats: int = 7,
              pipeline: str = "", stage: int = -1) -> dict:
    """Eager and jit times per call (warm-up excluded), and the compile time apart, of the
    function of the pipeline's stage ``stage`` on that stage's arguments; a stage made by
    ``jit`` is timed without that jit for the eager side."""
    plan, before = load_stage(source, filename, function, args_text, pipeline, stage)
    if plan.transform.startswith("jit") and before is not None:
        plan = dataclasses.replace(before, args=plan.args, kwargs=plan.kwargs)
    fn, args, kwargs, function = plan.fn, list(plan.args), dict(plan.kwargs), plan.title
    jitted = jax.jit(fn)
    try:
        jax.block_until_ready(fn(*args, **kwargs))  # warm-up: op-by-op dispatch caches
        eager = _timed(lambda: fn(*args, **kwargs), repeats)
        start = time.perf_counter()
        compiled = jitted.lower(*args, **kwargs).compile()
        compile_time = time.perf_counter() - start
        jax.block_until_ready(compiled(*args, **kwargs))  # warm-up of the compiled call
        jit_times = _timed(lambda: compiled(*args, **kwargs), repeats)
    except Exception as exc:
        raise InputError(explain(exc, filename, f"bench({function})")) from None
    return {"eager": eager, "jit": jit_times, "compile_time": compile_time,
            "function": function}


