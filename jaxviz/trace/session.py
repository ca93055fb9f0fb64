"""From source text to stages: run the module, find the function, read the arguments, trace.

Each step that can fail because of the user's input returns an ErrorInfo naming the line,
instead of raising: the caller (the worker) sends it back as the answer.
"""

from __future__ import annotations

import functools
import inspect
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
from jaxviz.core.ir.graph import Stage
from jaxviz.core.pipeline_spec import PipelineError, parse_pipeline, split_below
from jaxviz.core.source import loop_spans
from jaxviz.trace.args import evaluate_arguments
from jaxviz.trace.explain import exit_error, explain, guarded
from jaxviz.trace.jaxpr_facts import constant_lines, text_stage
from jaxviz.trace.jaxpr_ir import (
    Unprinted,
    add_text,
    names_hold,
    stage_from_closed_jaxpr,
    unprinted_stage,
)
from jaxviz.trace.modules import missing_module_hint, new_module, note_imports
from jaxviz.trace.pipeline import (
    ArgumentShapeError,
    StagePlan,
    check_pmap_devices,
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
    below: list[str] = field(default_factory=list)  # "lower" and/or "compile", at the end
    specs: list = field(default_factory=list)  # the transforms, one per stage after the first


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
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        code = fn.__code__
        return None, ErrorInfo(
            kind="function", line=code.co_firstlineno if code.co_filename == filename else None,
            message=f"{name!r} is a generator function (it uses yield): JAX traces functions "
                    f"that return their results.",
            hint="return the values instead of yielding them, e.g. collect them in a list "
                 "and return jnp.stack(values)")
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
        specs, below = split_below(parse_pipeline(pipeline))
        plans = plan_stages(fn, function, specs, args, kwargs)
        check_pmap_devices(specs, plans, jax.local_device_count())
    except (PipelineError, ArgumentShapeError) as exc:
        kind = "pipeline" if isinstance(exc, PipelineError) else "arguments"
        return None, ErrorInfo(kind=kind, message=str(exc))
    return Prepared(namespace, fn, args, kwargs, plans, static_argnums(specs),
                    static_argnames(specs), below, specs), None


def trace_stage(plan: StagePlan, static: tuple[int, ...], filename: str,
                static_names: tuple[str, ...] = (), namespace: dict | None = None) -> Stage:
    """make_jaxpr of one stage, as a Stage with its graph IR and timings."""
    return trace_closed(plan, static, filename, static_names, namespace)[1]


def trace_closed(plan: StagePlan, static: tuple[int, ...], filename: str,
                 static_names: tuple[str, ...] = (), namespace: dict | None = None,
                 text_only: bool = False) -> tuple[Any, Stage]:
    """The closed jaxpr of one stage and its Stage. Static keyword arguments are bound first
    (make_jaxpr has no ``static_argnames``); a jit stage still sees them as keywords, so its
    own ``static_argnames`` applies."""
    closed, notes, seconds = make_jaxpr(plan, static, filename, static_names, namespace)
    return closed, build_stage(closed, plan, filename, notes, seconds, text_only)


def make_jaxpr(plan: StagePlan, static: tuple[int, ...], filename: str,
                static_names: tuple[str, ...], namespace: dict | None
                ) -> tuple[Any, list[dict], float]:
    """The closed jaxpr of one stage, the notes its trace made, and how long it took: the one
    place jaxviz calls ``jax.make_jaxpr`` on the user's code (every front end's trace, a pmap
    run's, an evaluation's)."""
    fn, kwargs = plan.fn, dict(plan.kwargs)
    fixed = {name: kwargs.pop(name) for name in static_names if name in kwargs}
    if fixed:
        fn = functools.partial(fn, **fixed)
    start = time.perf_counter()
    with watching(filename, namespace if namespace is not None else {}) as notes:
        closed = jax.make_jaxpr(fn, static_argnums=static, axis_env=plan.axis_env or None)(
            *plan.args, **kwargs)
    return closed, notes, time.perf_counter() - start


def build_stage(closed, plan: StagePlan, filename: str, notes: list[dict], seconds: float,
                text_only: bool = False, text_later: list[Unprinted] | None = None) -> Stage:
    """The Stage of a traced jaxpr: its graph IR (or only its text), notes and timings.
    ``text_later``: the graph without JAX's text, which ``print_later`` adds (a picture needs
    no text; it costs half the trace at 20,000 equations)."""
    traced = time.perf_counter()
    if text_only:
        stage = text_stage(closed, plan.index, plan.title, plan.transform)
        notes += constant_notes(closed, stage.graph, constant_lines(closed, filename))
    elif text_later is not None:
        text_later.append(unprinted_stage(closed, plan.index, plan.title, filename,
                                          plan.transform))
        stage = text_later[-1].stage
        notes += constant_notes(closed, stage.graph)
    else:
        stage = stage_from_closed_jaxpr(closed, plan.index, plan.title, filename,
                                        plan.transform)
        notes += constant_notes(closed, stage.graph)
    stage.notes = notes + effect_notes(closed)
    stage.timings = {"trace": seconds, "ir": time.perf_counter() - traced}
    return stage


def print_later(unprinted: list[Unprinted]) -> bool:
    """JAX's text of stages built without it; whether a graph was built again with the
    printer's names (see ``jaxpr_ir.add_text``)."""
    renamed = False
    for item in unprinted:
        start = time.perf_counter()
        renamed |= add_text(item)
        item.stage.timings["text"] = time.perf_counter() - start
    return renamed


def add_below_stages(closed, stages: list[Stage], below: list[str]) -> None:
    """Cost the last jaxpr stage, then lower and/or compile it into stages of their own."""
    from jaxviz.trace.compiled import below_stages  # XLA's side: imported when asked for (a
    from jaxviz.trace.cost import stage_costs  # CLI trace pays for every import it makes)

    source = stages[-1]
    start = time.perf_counter()
    source.costs = {k: c.to_dict() for k, c in stage_costs(closed, source.graph).items()}
    source.timings["cost"] = time.perf_counter() - start
    stages += below_stages(closed, source, below, len(stages))


def trace_source(source: str, filename: str, function: str, args_text: str, pipeline: str,
                 progress: Progress | None = None, text_only: bool = False,
                 graph_last_only: bool = False) -> tuple[list[Stage], ErrorInfo | None]:
    """All stages of the pipeline, or the stages before the first failing one and its error.
    ``text_only``: JAX's text and counts, no graph IR (what printing a trace needs);
    ``graph_last_only``: that for every stage but the last (exporting the last one)."""
    prepared, error = prepare(source, filename, function, args_text, pipeline)
    if error:
        return [], error
    return _trace_prepared(prepared, source, filename, progress, text_only, graph_last_only)


def _trace_prepared(prepared: Prepared, source: str, filename: str, progress: Progress | None,
                    text_only: bool = False, graph_last_only: bool = False
                    ) -> tuple[list[Stage], ErrorInfo | None]:
    stages: list[Stage] = []
    loops = loop_spans(source)
    closed = None
    for plan in prepared.plans:
        if progress:
            progress(f"tracing {plan.title}", plan.index / len(prepared.plans))
        try:
            bare = text_only or graph_last_only and plan is not prepared.plans[-1]
            closed, stage = trace_closed(plan, prepared.static, filename, prepared.static_names,
                                         prepared.namespace, bare and not prepared.below)
            stages.append(stage)
            stages[-1].graph.loop_spans = loops
        except BaseException as exc:  # KeyboardInterrupt too: user code must not end the worker
            return stages, _trace_error(exc, filename, plan.title)
    if prepared.below:
        return _below(closed, stages, prepared, filename, progress)
    return stages, None


def _trace_error(exc: BaseException, filename: str, title: str) -> ErrorInfo:
    """What a stage's trace raised, for the user: ``sys.exit`` said as such, else explained."""
    if isinstance(exc, SystemExit):
        return exit_error(exc, filename, title)
    return explain(exc, filename, title)


def trace_last_first(source: str, filename: str, function: str, args_text: str,
                     pipeline: str, progress: Progress | None = None
                     ) -> tuple[list[Stage | None], ErrorInfo | None, Rest]:
    """As ``trace_source``, the shown stage first: the last stage is traced and its graph
    built before anything else, without JAX's text; the earlier ones wait (``None``) for the
    returned ``Rest``, which prints the text and traces and builds them while the window
    draws the first view, and returns the error of one that fails (``stages`` then keeps
    those before it, as ``trace_source`` would). Under grad, tracing the function on its own
    is 8-25% of all the tracing, its IR a third of the IR at 9,000 equations, and the text
    of the last stage half its IR: none is needed to draw the grad."""
    prepared, error = prepare(source, filename, function, args_text, pipeline)
    if error:
        return [], error, Rest()
    if prepared.below:  # the XLA stages need every jaxpr stage: all at once
        return (*_trace_prepared(prepared, source, filename, progress), Rest())
    stages: list[Stage | None] = [None] * len(prepared.plans)
    rest = Rest(stages, prepared, filename, loop_spans(source), progress)
    try:
        stages[-1] = rest.traced(prepared.plans[-1], 0.0, rest.unprinted)
    except BaseException as exc:  # KeyboardInterrupt too: user code must not end the worker
        stages[-1:] = []
        return stages, rest() or _trace_error(exc, filename, prepared.plans[-1].title), Rest()
    return stages, None, rest


def trace_last_only(source: str, filename: str, function: str, args_text: str,
                    pipeline: str, progress: Progress | None = None, text: bool = True
                    ) -> tuple[list[Stage], ErrorInfo | None]:
    """The last stage alone, [stage] or [] with the error: an export of it needs no other
    stage (tracing them costs 8-25% more under grad), and a picture needs no text
    (``text=False``: half the IR's time)."""
    prepared, error = prepare(source, filename, function, args_text, pipeline)
    if error:
        return [], error
    if prepared.below:  # the XLA stages need every jaxpr stage
        return _trace_prepared(prepared, source, filename, progress, graph_last_only=True)
    plan = prepared.plans[-1]
    rest = Rest([None], prepared, filename, loop_spans(source), progress)
    hold = text or names_hold()  # asked before the trace: with millions of objects made,
    # the collector would walk them all while the check ran (a second at 100,000 equations)
    try:
        stage = rest.traced(plan, 0.0, rest.unprinted)
    except BaseException as exc:  # KeyboardInterrupt too: user code must not end the worker
        return [], _trace_error(exc, filename, plan.title)
    if text or stage.equations < UNPRINTED_FROM or not hold:
        print_later(rest.unprinted)  # (the printer's names, should they differ)
    return [stage], None


# a picture of a stage this big is drawn without printing JAX's text, once this JAX's
# printer is seen to name variables as jaxpr_names does (a 10 ms check, once per process);
# a smaller one prints (about 14 µs an equation: the check's cost at 700)
UNPRINTED_FROM = 1000


class Rest:
    """What ``trace_last_first`` leaves until the first view is drawn; calling it does it.
    ``renamed`` then says whether the last stage's graph was built again with the printer's
    names (never seen; then its first view is out of date)."""

    def __init__(self, stages: list | None = None, prepared: Prepared | None = None,
                 filename: str = "", loops=None, progress: Progress | None = None):
        self.stages = stages if stages is not None else []
        self.prepared, self.filename = prepared, filename
        self.loops, self.progress = loops, progress
        self.unprinted: list[Unprinted] = []
        self.renamed = False

    def traced(self, plan: StagePlan, fraction: float, text_later: list | None = None
               ) -> Stage:
        if self.progress:
            self.progress(f"tracing {plan.title}", fraction)
        prepared = self.prepared
        closed, notes, seconds = make_jaxpr(plan, prepared.static, self.filename,
                                             prepared.static_names, prepared.namespace)
        stage = build_stage(closed, plan, self.filename, notes, seconds, text_later=text_later)
        stage.graph.loop_spans = self.loops
        return stage

    def fill_params(self) -> None:
        """Every param's text on the stage built first, before it goes ahead of its text."""
        for item in self.unprinted:
            item.builder.fill_params()

    def __call__(self) -> ErrorInfo | None:
        if self.prepared is None:
            return None
        self.renamed = print_later(self.unprinted)
        self.unprinted = []  # the jaxpr is no longer needed
        plans, stages = self.prepared.plans, self.stages
        for k, plan in enumerate(plans[:-1]):
            if stages[k] is None:
                try:
                    stages[k] = self.traced(plan, (k + 1) / len(plans))
                except BaseException as exc:  # user code must not end the worker
                    del stages[k:]  # the stages before the failing one
                    return _trace_error(exc, self.filename, plan.title)
        return None


def _below(closed, stages: list[Stage], prepared: Prepared, filename: str,
           progress: Progress | None) -> tuple[list[Stage], ErrorInfo | None]:
    """The lower/compile stages and JAX's residual listings; an error there keeps the jaxpr
    stages."""
    from jaxviz.trace.residuals import attach_listings

    below = prepared.below
    try:
        if progress:  # JAX's residual listings trace the user's function again
            progress(f"tracing {stages[-1].title} for its residuals", 0.85)
        attach_listings(stages, prepared.plans, prepared.specs)
        if progress:
            progress(f"{' and '.join(below)} {stages[-1].title} with XLA", 0.9)
        add_below_stages(closed, stages, below)
    except BaseException as exc:  # noqa: BLE001 - XLA's errors are the user's to read
        return stages, explain(exc, filename, f"{below[-1]}({stages[-1].title})")
    return stages, None
