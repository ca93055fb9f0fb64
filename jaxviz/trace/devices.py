"""Devices: the worker's local devices, a stage's function loaded to run on values, and the
tutorial's timing of eager against jit (pmap across the devices: ``pmap_run``). Everything
returned is plain data for the protocol.
"""

from __future__ import annotations

import dataclasses
import time

import jax

from jaxviz.core.errors import ErrorInfo
from jaxviz.trace.args import evaluate_arguments
from jaxviz.trace.explain import explain, guarded
from jaxviz.trace.session import find_function, run_module


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


def load_stage(source: str, filename: str, function: str, args_text: str, pipeline: str,
               stage: int = -1):
    """The function of one stage of the pipeline (``-1``: its last jaxpr stage; a lower or
    compile stage stands for the jaxpr stage it was made from), with that stage's arguments:
    those the user gave, with the axes of any later vmap or pmap taken out. Returns the plan
    of the stage and the one before it (None for the function itself)."""
    prepared, index = prepared_stage(source, filename, function, args_text, pipeline, stage)
    plans = prepared.plans
    return plans[index], plans[index - 1] if index else None


def prepared_stage(source: str, filename: str, function: str, args_text: str, pipeline: str,
                   stage: int = -1):
    """The prepared pipeline (``session.prepare``) and the index of the stage to run, whose
    arguments must be values, not abstract shapes."""
    from jaxviz.trace.session import prepare

    prepared, error = prepare(source, filename, function, args_text, pipeline)
    if error:
        raise InputError(error)
    plans = prepared.plans
    index = stage_index(stage, [p.title for p in plans])
    for i, leaf in enumerate(jax.tree_util.tree_leaves(plans[index].args)):
        if isinstance(leaf, jax.ShapeDtypeStruct):
            raise InputError(ErrorInfo(kind="arguments", message=f"Argument leaf {i} is the "
                             f"abstract shorthand {leaf.dtype}{list(leaf.shape)}: running needs "
                             "values.", hint="give concrete arrays, e.g. jnp.ones((8, 3))"))
    return prepared, index


def stage_index(stage: int, titles: list[str]) -> int:
    """``stage`` as an index of the jaxpr stages (-1: the last; one past them, as a lower or
    compile stage or a pmap run's stage shown in the window is: the last, whose title the
    result names); a clear error below them."""
    if stage >= len(titles):
        return len(titles) - 1
    if -len(titles) <= stage:
        return stage % len(titles)
    listing = ", ".join(f"{i}: {t}" for i, t in enumerate(titles))
    raise InputError(ErrorInfo(kind="arguments", message=f"There is no stage {stage}: the "
                               f"pipeline's jaxpr stages are {listing}.",
                               hint=f"give a stage from 0 to {len(titles) - 1}, or -1 for "
                                    "the last"))


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


