"""Request handlers, one per request type; they run inside the worker process.

Handlers that need jax import ``jaxviz.trace`` when first called, so a worker that only lays
out graphs never pays for importing JAX.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from jaxviz.core.ir.graph import gc_paused, to_dict
from jaxviz.worker import protocol as p

Progress = Callable[..., None]  # (message, fraction[, first view])


def handle_trace(request: p.TraceRequest, progress: Progress) -> p.TraceResult | p.Failure:
    from jaxviz.trace.modules import set_extra_roots
    from jaxviz.trace.session import trace_source

    set_extra_roots(request.paths)
    if request.first_view and request.layout is not None and request.export is None:
        return _trace_first_view_first(request, progress)
    if _exports_last_only(request):
        return _trace_export_last(request, progress)
    stages, error = trace_source(request.source, request.filename, request.function,
                                 request.args, request.pipeline, progress,
                                 text_only=request.text_only and request.layout is None
                                 and request.export is None,
                                 graph_last_only=request.export is not None
                                 and request.layout_last_only)
    if error and not stages:
        return p.Failure(error)
    with gc_paused():  # see _trace_first_view_first
        layouts = _layouts(stages, request.layout, _opening(request),
                           request.layout_last_only, progress, request.first_view) \
            if request.layout is not None else []
        if request.export is not None and not error:
            return _export_stages(stages, layouts, request.export, progress, request)
        return p.TraceResult(stages=[to_dict(s) for s in stages], layouts=layouts,
                             error=error)


def _exports_last_only(request: p.TraceRequest) -> bool:
    spec = request.export
    return spec is not None and spec.stage == "last" and spec.color_by == "kind" \
        and request.layout is not None and request.layout_last_only


def _trace_export_last(request: p.TraceRequest, progress: Progress
                       ) -> p.TraceResult | p.Failure:
    """``jaxviz export`` of the last stage: that stage alone is traced, and its text is
    printed only for a JSON file (a picture has none)."""
    from jaxviz.trace.session import trace_last_only

    stages, error = trace_last_only(request.source, request.filename, request.function,
                                    request.args, request.pipeline, progress,
                                    text=request.export.format == "json")
    if error:
        return p.Failure(error)
    with gc_paused():
        layouts = _layouts(stages, request.layout, _opening(request), True, progress)
        # all stages: a compile stage's overlay and title read the jaxpr stage it came from
        return _export_stages(stages, layouts, request.export, progress, request)


def _trace_first_view_first(request: p.TraceRequest, progress: Progress
                            ) -> p.TraceResult | p.Failure:
    """The app's trace: the last stage's IR and layout first, sent ahead as the first view,
    then the earlier stages' IR."""
    from jaxviz.trace.session import trace_last_first

    stages, error, rest = trace_last_first(request.source, request.filename,
                                           request.function, request.args, request.pipeline,
                                           progress)
    if error and not stages:
        return p.Failure(error)
    # No cyclic collection from here on: the first one after the IR walks every object of
    # it, and the graph model's groups would pay for it (1.4 s of 2.2 at 100,000 equations).
    # The server collects once the answer is sent.
    with gc_paused():
        layouts = _layouts(stages, request.layout, _opening(request), True, progress,
                           first_view=error is None)  # (after an error: the last good stage)
        shown = stages[-1] if error is None else None
        if shown is not None:  # its graph, rebuilt by the window while its text is printed
            rest.fill_params()
            progress(f"sending {shown.title}", 1.0, None, [to_dict(shown)])
        error = rest() or error  # the text and the earlier stages, while the window draws
        if rest.renamed:  # the printer named a variable otherwise: the first view is stale
            layouts[len(stages) - 1:] = _layouts(stages[-1:], request.layout,
                                                 _opening(request), True, progress)
        went_ahead = shown is not None and bool(stages) and stages[-1] is shown \
            and not rest.renamed
        data = [None if went_ahead and s is shown else to_dict(s) for s in stages]
        return p.TraceResult(stages=data, layouts=layouts[:len(stages)], error=error,
                             first_view_stale=rest.renamed,
                             ahead_text=_ahead_text(shown) if went_ahead else None)


def _ahead_text(stage) -> p.AheadText:
    """The text of a stage whose graph went ahead, and each equation's place in it."""
    from jaxviz.core.ir.graph import EQN

    equations = [n for n in stage.graph.walk_nodes() if n.kind == EQN]
    return p.AheadText(stage.index, stage.jaxpr, [n.text_line for n in equations],
                       [n.text for n in equations], dict(stage.timings))


def _export_stages(stages, layouts: list, spec: p.ExportSpec, progress: Progress,
                   request: p.TraceRequest) -> p.TraceResult | p.Failure:
    """The CLI's ``export``: files written here, under the request's time limit."""
    from pathlib import Path

    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.export.images import ExportError, check_export_target, export_file, numbered
    from jaxviz.core.export.overlay import OverlayError
    from jaxviz.core.layout.engine import Layout
    from jaxviz.trace.devices import InputError

    written = []
    inputs = [Path(i) for i in spec.inputs]
    try:
        chosen = _export_choice(stages, spec)
        paths = [numbered(Path(spec.path), index) if spec.stage == "all" else Path(spec.path)
                 for index in chosen]
        for path in paths:  # every target checked before any is written: never half a set
            check_export_target(path, spec.format, inputs, spec.force)
        for k, (index, path) in enumerate(zip(chosen, paths)):
            progress(f"writing {path}", k / len(chosen))
            layout = _overlaid(Layout.from_dict(layouts[index]), stages, index, spec,
                               request, progress)
            stage = stages[index]  # a picture needs its title; only JSON holds the IR
            data = to_dict(stage) if spec.format == "json" else {"title": stage.title}
            export_file(layout, data, path, spec.format, spec.dpi, spec.edge_labels, inputs,
                        spec.force)
            written.append([str(path), stages[index].title])
    except (ExportError, OverlayError) as exc:
        return p.Failure(ErrorInfo(kind="input", message=str(exc)))
    except InputError as exc:  # --color-by values: running the stage failed
        return p.Failure(exc.info)
    return p.TraceResult(stages=[{"title": s.title} for s in stages], written=written)


def _export_choice(stages, spec: p.ExportSpec) -> list[int]:
    """The stages to write; with an overlay, 'last' is the jaxpr stage that was compiled."""
    from jaxviz.core.export.images import chosen_stages
    from jaxviz.core.xla.below import analysed_of

    analysed = analysed_of(stages)
    if spec.color_by != "kind" and spec.stage == "last" and analysed:
        return [analysed.index]
    return chosen_stages(spec.stage, len(stages))


def _overlaid(layout, stages, index: int, spec: p.ExportSpec, request: p.TraceRequest,
              progress: Progress):
    """The layout coloured by ``--color-by`` (the groups open as the layout has them);
    ``values`` runs the stage first, as ``jaxviz values`` does."""
    from jaxviz.core.export.overlay import OverlayError, colour, value_magnitudes, values
    from jaxviz.core.model.graph_model import GraphModel

    name = spec.color_by
    if name == "kind":
        return layout
    model = GraphModel(stages[index].graph, expand_all=spec.expand_all, depth=spec.depth,
                       jax_nesting=spec.jax_nesting)
    if name != "values":
        return colour(layout, model, name, values(name, stages, index))
    if not stages[index].is_jaxpr:
        raise OverlayError("values colour a jaxpr stage: give --stage with one of them")
    from jaxviz.trace.values_stage import evaluate_stage

    progress(f"evaluating {stages[index].title} on values", 0.5)
    evaluated = evaluate_stage(request.source, request.filename, request.function,
                               request.args, request.pipeline, index)
    return colour(layout, model, name, value_magnitudes(evaluated["equations"]))


def _opening(request: p.TraceRequest) -> dict:
    """Which groups a layout makes and opens: GraphModel's ``expand_all``, ``depth`` and
    ``jax_nesting``."""
    return {"expand_all": request.expand_all, "depth": request.depth,
            "jax_nesting": request.jax_nesting}


def _layouts(stages, options, opening: dict, last_only: bool, progress: Progress,
             first_view: bool = False) -> list[dict | None]:
    from jaxviz.core.layout.engine import layout_model
    from jaxviz.core.model.graph_model import GraphModel

    layouts: list[dict | None] = []
    for stage in stages:
        if last_only and stage is not stages[-1]:
            layouts.append(None)
            continue
        progress(f"laying out {stage.title}", stage.index / max(len(stages), 1))
        start = time.perf_counter()
        model = GraphModel(stage.graph, **opening)
        layout = layout_model(model, options)
        layouts.append(layout.to_dict())
        stage.timings["layout"] = time.perf_counter() - start
        if first_view and stage is stages[-1]:  # drawn while the rest travels
            progress(f"sending {stage.title}", 1.0, _first_view(stage, model, layout,
                                                                  layouts[-1]))
    return layouts


def _first_view(stage, model, layout, layout_data: dict) -> p.FirstView:
    from jaxviz.core.model.tooltips import search_texts, tooltips

    return p.FirstView(stage.index, stage.title, layout_data, tooltips(model, layout),
                       search_texts(model, layout))  # its boxes carry the visible lines


_models: dict = {}  # graph key → GraphModel, the last few stages this worker was given
KEPT_MODELS = 16


def _model(state: p.GraphState):
    """The stage's model, from the graph sent along or kept from an earlier request."""
    from jaxviz.core.model.graph_model import GraphModel

    key = state.key
    if state.graph is not None:
        _models.pop(key, None)
        _models[key] = GraphModel.from_state({"graph": state.graph, "open": [],
                                              "jax_nesting": state.jax_nesting})
        while len(_models) > KEPT_MODELS:
            _models.pop(next(iter(_models)))
    model = _models.get(key)
    if model is None:
        return None
    model.open = set(state.open) & set(model.groups)
    return model


def handle_layout(request: p.LayoutRequest, progress: Progress) -> p.LayoutResult | p.Failure:
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.layout.engine import layout_model

    options = request.options
    models = [_model(state) for state in request.models]
    if any(m is None for m in models):
        return p.Failure(ErrorInfo(kind="input", message=p.UNKNOWN_GRAPH))
    layouts = [layout_model(m, options).to_dict() for m in models]
    return p.LayoutResult(layouts, request.stages)


def handle_prime(request: p.PrimeRequest, progress: Progress) -> p.Primed:
    for state in request.models:
        _model(p.GraphState(state.key, [], state.graph, state.jax_nesting))
    return p.Primed([state.key for state in request.models])


def handle_export(request: p.ExportRequest, progress: Progress) -> p.ExportResult | p.Failure:
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.export.images import ExportError, export_file
    from jaxviz.core.layout.engine import Layout

    paths = []
    for i, item in enumerate(request.items):
        progress(f"exporting {item.path}", i / len(request.items))
        try:
            paths.append(str(export_file(Layout.from_dict(item.layout), item.stage,
                                         item.path, request.format, request.dpi,
                                         request.edge_labels,
                                         force=item.path in request.confirmed)))
        except ExportError as exc:
            return p.Failure(ErrorInfo(kind="input", message=str(exc)))
    return p.ExportResult(paths)


def handle_devices(request: p.DevicesRequest, progress: Progress) -> p.DevicesResult:
    from jaxviz.trace.devices import list_devices

    devices, backend = list_devices()
    return p.DevicesResult(devices=devices, default_backend=backend)


def handle_pmap(request: p.PmapRequest, progress: Progress) -> p.PmapResult | p.Failure:
    from jaxviz.trace.devices import InputError
    from jaxviz.trace.modules import set_extra_roots
    from jaxviz.trace.pmap_run import run_pmap

    set_extra_roots(request.paths)
    progress("compiling and running pmap", 0.1)
    try:
        result = run_pmap(request.source, request.filename, request.function, request.args,
                          request.mode, request.axis_name, request.devices, request.pipeline,
                          request.stage)
    except InputError as exc:
        return p.Failure(exc.info)
    return p.PmapResult(**result)


def handle_bench(request: p.BenchRequest, progress: Progress) -> p.BenchResult | p.Failure:
    from jaxviz.trace.devices import InputError, run_bench
    from jaxviz.trace.modules import set_extra_roots

    set_extra_roots(request.paths)
    progress("timing eager and jit", 0.1)
    try:
        result = run_bench(request.source, request.filename, request.function, request.args,
                           request.repeats, request.pipeline, request.stage)
    except InputError as exc:
        return p.Failure(exc.info)
    return p.BenchResult(**result)


def handle_retrace(request: p.RetraceRequest, progress: Progress
                   ) -> p.RetraceResult | p.Failure:
    from jaxviz.trace.devices import InputError, load_calls
    from jaxviz.trace.modules import set_extra_roots
    from jaxviz.trace.retrace import explain_retraces

    set_extra_roots(request.paths)
    progress("calling jit with each argument set", 0.1)
    try:
        fn, values = load_calls(request.source, request.filename, request.function,
                                request.calls)
    except InputError as exc:
        return p.Failure(exc.info)
    calls = [(args, kwargs, text) for (args, kwargs), text in zip(values, request.calls)]
    verdicts = explain_retraces(fn, calls, request.static_argnums, request.static_argnames)
    return p.RetraceResult(calls=verdicts)


def handle_values(request: p.ValuesRequest, progress: Progress) -> p.ValuesResult | p.Failure:
    from jaxviz.trace.devices import InputError
    from jaxviz.trace.modules import set_extra_roots
    from jaxviz.trace.values_stage import evaluate_stage, plain

    set_extra_roots(request.paths)
    progress("evaluating the stage on values", 0.1)
    try:
        result = evaluate_stage(request.source, request.filename, request.function,
                                request.args, request.pipeline, request.stage,
                                request.threshold, request.stop_at_nonfinite,
                                against=request.against)
    except InputError as exc:
        return p.Failure(exc.info)
    return p.ValuesResult(values=plain(result))


def handle_sharding(request: p.ShardingRequest, progress: Progress
                    ) -> p.ShardingResult | p.Failure:
    from jaxviz.trace.devices import InputError
    from jaxviz.trace.modules import set_extra_roots
    from jaxviz.trace.sharding import sharding_run

    set_extra_roots(request.paths)
    progress("compiling over the mesh", 0.1)
    try:
        result = sharding_run(request.source, request.filename, request.function,
                              request.args, request.pipeline, request.mesh,
                              request.in_shardings, request.what_if)
    except InputError as exc:
        return p.Failure(exc.info)
    return p.ShardingResult(sharding=result)


HANDLERS: dict[type, Callable] = {
    p.TraceRequest: handle_trace,
    p.LayoutRequest: handle_layout,
    p.ExportRequest: handle_export,
    p.DevicesRequest: handle_devices,
    p.PmapRequest: handle_pmap,
    p.BenchRequest: handle_bench,
    p.ValuesRequest: handle_values,
    p.RetraceRequest: handle_retrace,
    p.ShardingRequest: handle_sharding,
    p.PrimeRequest: handle_prime,
}
