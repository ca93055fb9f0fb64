"""From source text to stages: run the module, find the function, read the arguments, trace.

Each step that can fail because of the user's input returns an ErrorInfo naming the line,
instead of raising: the caller (the worker) sends it back as the answer.
"""

from __future__ import annotations

import functools
import linecache
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxviz.core.errors import ErrorInfo
from jaxviz.core.ir import Stage
from jaxviz.core.pipeline_spec import PipelineError, parse_pipeline
from jaxviz.core.source import loop_spans
from jaxviz.trace.args import evaluate_arguments
from jaxviz.trace.explain import explain, guarded
from jaxviz.trace.jaxpr_ir import stage_from_closed_jaxpr
from jaxviz.trace.modules import missing_module_hint, new_module, note_imports
from jaxviz.trace.pipeline import (
    ArgumentShapeError,
    StagePlan,
    plan_stages,
    static_argnames,
    static_argnums,
)
from jaxviz.trace.purity import constant_notes, effect_notes, watching

Progress = Callable[[str, float], None]


@dataclass
class Prepared:
    """A module run, a function found, arguments evaluated, a pipeline planned."""

    namespace: dict[str, Any]
    fn: Callable
    args: list
    kwargs: dict
    plans: list[StagePlan] = field(default_factory=list)
    static: tuple[int, ...] = ()
    static_names: tuple[str, ...] = ()


def run_module(source: str, filename: str) -> tuple[dict | None, ErrorInfo | None]:
    """Execute the module in a fresh namespace that already has jax, jnp, lax and np."""
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as exc:
        return None, ErrorInfo(kind="syntax", message=f"SyntaxError: {exc.msg}",
                               line=exc.lineno, column=(exc.offset or 1) - 1,
                               exception="SyntaxError", details=(exc.text or "").rstrip())
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module, roots = new_module(filename, {"jax": jax, "jnp": jnp, "lax": lax, "np": np})
    _, error = guarded("module", filename)(exec, code, module.__dict__)
    note_imports(roots)
    if error and error.exception == "ModuleNotFoundError":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        error.hint = missing_module_hint(missing, roots)
    return (None, error) if error else (module.__dict__, None)


def find_function(namespace: dict, name: str, filename: str
                  ) -> tuple[Callable | None, ErrorInfo | None]:
    """The named function, or an error listing the functions that exist."""
    fn = namespace.get(name)
    if callable(fn):
        return fn, None
    defined = [k for k, v in namespace.items()
               if callable(v) and getattr(getattr(v, "__code__", None), "co_filename", "")
               == filename]
    listing = ", ".join(defined) if defined else "none"
    what = "is not a function" if name in namespace else "is not defined"
    return None, ErrorInfo(kind="function", message=f"{name!r} {what} in the module.",
                           hint=f"pick one of the module's functions: {listing}")


def prepare(source: str, filename: str, function: str, args_text: str, pipeline: str
            ) -> tuple[Prepared | None, ErrorInfo | None]:
    """Every step before tracing; the first error stops it."""
    namespace, error = run_module(source, filename)
    if error:
        return None, error
    fn, error = find_function(namespace, function, filename)
    if error:
        return None, error
    (values, error) = guarded("arguments", "<arguments>")(evaluate_arguments, args_text,
                                                          namespace)
    if error:
        error.message = f"The arguments expression {args_text!r} failed: {error.message}"
        error.line = None
        return None, error
    args, kwargs = values
    try:
        specs = parse_pipeline(pipeline)
        plans = plan_stages(fn, function, specs, args, kwargs)
    except (PipelineError, ArgumentShapeError) as exc:
        kind = "pipeline" if isinstance(exc, PipelineError) else "arguments"
        return None, ErrorInfo(kind=kind, message=str(exc))
    return Prepared(namespace, fn, args, kwargs, plans, static_argnums(specs),
                    static_argnames(specs)), None


def trace_stage(plan: StagePlan, static: tuple[int, ...], filename: str,
                static_names: tuple[str, ...] = (), namespace: dict | None = None) -> Stage:
    """make_jaxpr of one stage, as a Stage with its graph IR and timings. Static keyword
    arguments are bound first (make_jaxpr has no ``static_argnames``); a jit stage still sees
    them as keywords, so its own ``static_argnames`` applies."""
    fn, kwargs = plan.fn, dict(plan.kwargs)
    fixed = {name: kwargs.pop(name) for name in static_names if name in kwargs}
    if fixed:
        fn = functools.partial(fn, **fixed)
    start = time.perf_counter()
    with watching(filename, namespace if namespace is not None else {}) as notes:
        closed = jax.make_jaxpr(fn, static_argnums=static, axis_env=plan.axis_env or None)(
            *plan.args, **kwargs)
    traced = time.perf_counter()
    stage = stage_from_closed_jaxpr(closed, plan.index, plan.title, filename, plan.transform)
    stage.notes = notes + constant_notes(closed, stage.graph) + effect_notes(closed)
    stage.timings = {"trace": traced - start, "ir": time.perf_counter() - traced}
    return stage


def trace_source(source: str, filename: str, function: str, args_text: str, pipeline: str,
                 progress: Progress | None = None) -> tuple[list[Stage], ErrorInfo | None]:
    """All stages of the pipeline, or the stages before the first failing one and its error."""
    prepared, error = prepare(source, filename, function, args_text, pipeline)
    if error:
        return [], error
    stages: list[Stage] = []
    loops = loop_spans(source)
    for plan in prepared.plans:
        if progress:
            progress(f"tracing {plan.title}", plan.index / len(prepared.plans))
        try:
            stages.append(trace_stage(plan, prepared.static, filename, prepared.static_names,
                                      prepared.namespace))
            stages[-1].graph.loop_spans = loops
        except SystemExit as exc:
            return stages, ErrorInfo(kind="exit", message=f"The code called sys.exit({exc.code!r})"
                                     , stage=plan.title)
        except BaseException as exc:  # KeyboardInterrupt too: user code must not end the worker
            return stages, explain(exc, filename, plan.title)
    return stages, None
