"""The Python API: jaxviz from your own script or notebook, with the objects you already have.

    import jaxviz
    s = jaxviz.stages(loss, params, batch, pipeline="grad | jit")
    s[-1].jaxpr                  # exactly str(jax.make_jaxpr(jax.jit(jax.grad(loss)))(...))
    s.diff(0, 1)                 # what grad did; shown side by side in a notebook
    s.export("loss.svg")         # PNG, SVG, PDF, DOT or JSON, as the CLI writes them
    jaxviz.show(loss, params, batch, pipeline="grad")   # the desktop app on these stages

``stages`` traces in your process (your real arrays and pytrees, or ``jax.ShapeDtypeStruct``s),
with the same pipelines, IR, layout, diff and export as the app and the CLI. In Jupyter a
``Stages``, a ``Stage`` and a ``Diff`` display inline as their graphs (SVG), with JAX's text.
"""

from __future__ import annotations

import dataclasses
import html
import inspect
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jaxviz.core.ir.graph import Stage as IRStage
from jaxviz.core.ir.graph import to_dict


def stages(fn: Callable, *args: Any, pipeline: str = "", **kwargs: Any) -> Stages:
    """Every stage of ``pipeline`` applied to ``fn``, traced with ``args`` and ``kwargs``,
    which are the arguments of the final, fully transformed function (as in the CLI)."""
    from jaxviz.core.pipeline_spec import parse_pipeline, split_below
    from jaxviz.core.source import loop_spans
    from jaxviz.trace.pipeline import plan_stages, static_argnames, static_argnums
    from jaxviz.trace.residuals import attach_listings
    from jaxviz.trace.session import add_below_stages, trace_closed

    specs, below = split_below(parse_pipeline(pipeline))
    name = getattr(fn, "__name__", None) or type(fn).__name__
    source_file = _source_file(fn)
    loops = loop_spans(Path(source_file).read_text()) if Path(source_file).is_file() else None
    traced, closed, runnable = [], None, []
    plans = plan_stages(fn, name, specs, list(args), dict(kwargs))
    static, static_names = static_argnums(specs), static_argnames(specs)
    for plan in plans:
        closed, stage = trace_closed(plan, static, source_file, static_names)
        stage.graph.loop_spans = loops
        traced.append(stage)
        runnable.append((closed, plan, static, static_names))
    if below:  # lower/compile: the analyses below the jaxpr, as the CLI makes them
        attach_listings(traced, plans, specs)
        add_below_stages(closed, traced, below)
    made = Stages(traced, source_file, name, pipeline)
    made._runnable = runnable
    return made


def show(fn: Callable, *args: Any, pipeline: str = "", block: bool = True,
         screenshot: str | None = None, **kwargs: Any) -> subprocess.Popen | None:
    """Open the desktop app on the stages of ``fn`` (a window process that never imports
    jax); like ``matplotlib.pyplot.show`` it blocks until the window closes, unless
    ``block=False`` (the process is returned). ``screenshot``: save a PNG and close."""
    return stages(fn, *args, pipeline=pipeline, **kwargs).show(block=block,
                                                               screenshot=screenshot)


def _source_file(fn: Callable) -> str:
    """The file the function was written in (its nodes link to lines there)."""
    target = inspect.unwrap(fn)
    try:
        return inspect.getsourcefile(target) or "<api>"
    except TypeError:  # a callable object, a partial, a builtin
        call = type(target).__call__ if callable(target) else None
        try:
            return (inspect.getsourcefile(call) or "<api>") if call else "<api>"
        except TypeError:
            return "<api>"


class Stage:
    """One stage: ``title``, ``jaxpr`` (JAX's own text), ``equations``, ``graph`` (the IR)."""

    def __init__(self, stage: IRStage, source_file: str, pipeline: list[IRStage] | None = None):
        self.ir, self.source_file = stage, source_file
        self._pipeline = pipeline or [stage]  # every stage of the trace, for overlays

    title = property(lambda self: self.ir.title)
    jaxpr = property(lambda self: self.ir.jaxpr)
    equations = property(lambda self: self.ir.equations)
    graph = property(lambda self: self.ir.graph)

    def __repr__(self) -> str:
        return f"<Stage {self.title}: {self.ir.count_text()}>"

    def batch_axes(self):
        """On a vmap stage (or a jit of one): where each variable keeps the batch vmap added,
        found against the stage before the vmap (a ``jaxviz.core.diff.batch_axes.BatchAxes``:
        ``.of(node_id)``, ``.values``, ``.to_dict()``); None on any other stage."""
        from jaxviz.core.diff.batch_axes import stage_batch_axes

        return stage_batch_axes(self._pipeline, self._pipeline.index(self.ir))

    def layout(self, expand_all: bool = False, rankdir: str = "TB", edge_labels: bool = True,
               color_by: str = "kind", depth: int | None = None, jax_nesting: bool = False):
        """``depth``: open the groups down to that depth, close those below (0: the top
        level only). ``jax_nesting``: groups by JAX's own nesting, not your calls.
        ``color_by``: an overlay of ``jaxviz.core.export.overlay.OVERLAYS``
        ("fusion", "flops", "memory", "residuals", ...); fusion and cost need a pipeline
        ending in compile."""
        from jaxviz.core.export.overlay import colour, values
        from jaxviz.core.layout.engine import LayoutOptions, layout_model
        from jaxviz.core.model.graph_model import GraphModel

        model = GraphModel(self.graph, expand_all=expand_all, depth=depth,
                           jax_nesting=jax_nesting)
        layout = layout_model(model, LayoutOptions(rankdir=rankdir, edge_labels=edge_labels))
        if color_by == "kind":
            return layout
        index = self._pipeline.index(self.ir)
        return colour(layout, model, color_by, values(color_by, self._pipeline, index))

    def svg(self, **options) -> bytes:
        """The stage's graph as SVG bytes (what a notebook shows inline)."""
        from jaxviz.core.export.images import export_bytes

        return export_bytes(self.layout(**options), to_dict(self.ir), "svg")

    def export(self, path: str | Path, format: str | None = None, dpi: float | None = None,
               force: bool = False, **options) -> Path:
        """Write this stage's graph; the format follows the suffix unless given. A file
        already there is replaced only if it is an earlier export (or with ``force``). A PNG
        is at ``dpi``, by default 144 (less for one past 8 megapixels, never under 72)."""
        from jaxviz.core.export.images import export_file

        return export_file(self.layout(**options), to_dict(self.ir), Path(path), format, dpi,
                           options.get("edge_labels", True), [Path(self.source_file)], force)

    def _repr_html_(self) -> str:
        return _stage_html(self, open_text=False)


class Stages(Sequence):
    """The stages of a pipeline, in order: ``stages[0]`` is the function itself."""

    def __init__(self, traced: list[IRStage], source_file: str, function: str, pipeline: str):
        self._stages = [Stage(s, source_file, traced) for s in traced]
        self.source_file, self.function, self.pipeline = source_file, function, pipeline

    def __getitem__(self, index):
        return self._stages[index]

    def __len__(self) -> int:
        return len(self._stages)

    def __repr__(self) -> str:
        return "<Stages " + " → ".join(s.title for s in self._stages) + ">"

    def diff(self, i: int = 0, j: int = 1) -> Diff:
        """What the transformations between stage ``i`` and stage ``j`` did."""
        return Diff(self[i], self[j])

    def export(self, path: str | Path, stage: int = -1, **options) -> Path:
        return self[stage].export(path, **options)

    # --- below the jaxpr (a pipeline ending in compile; see core/xla/below.py) ---------------

    def _analysed(self):
        from jaxviz.core.xla import below

        ir = [s.ir for s in self._stages]
        source, compiled = below.analysed_of(ir), below.compiled_of(ir)
        if source is None:
            raise ValueError("end the pipeline in '| compile' (e.g. 'grad | jit | compile')")
        return source, compiled

    def fusions(self) -> dict:
        """Each equation of the compiled jaxpr stage and the XLA kernel it runs in."""
        from jaxviz.core.xla.below import fusion_report

        source, compiled = self._analysed()
        if compiled is None:
            raise ValueError("fusions need '| compile' at the end of the pipeline")
        return fusion_report(source, compiled)

    def cost(self) -> dict:
        """FLOPs, transcendentals and bytes per equation, against ``cost_analysis()``."""
        from jaxviz.core.xla.below import cost_report

        return cost_report(*self._analysed())

    def memory(self, stage: int | None = None) -> dict:
        """Live bytes in program order, against ``memory_analysis()`` when compiled."""
        from jaxviz.core.xla.below import analysed_of, compiled_of, memory_report

        ir = [s.ir for s in self._stages]
        chosen = ir[stage] if stage is not None else analysed_of(ir) or ir[-1]
        return memory_report(chosen, compiled_of(ir) if chosen is analysed_of(ir) else None)

    def residuals(self, stage: int = -1) -> dict:
        """What the forward pass of a grad stage saves for its backward pass."""
        from jaxviz.core.xla.below import residual_report

        jaxpr_stages = [s.ir for s in self._stages if s.ir.is_jaxpr]
        return residual_report(jaxpr_stages[stage])

    def values(self, stage: int = -1, threshold: float = 1e30,
               stop_at_nonfinite: bool = False) -> dict:
        """Evaluate jaxpr stage ``stage`` on the arguments, equation by equation: statistics
        of every equation's results by node id (``names`` gives each its name), the
        outputs' statistics and arrays (``arrays``), and the first equation that made a NaN
        or Inf (``first_nonfinite``) or a value past ``threshold`` (``first_huge``)."""
        from jaxviz.trace.args import seeded
        from jaxviz.trace.values_stage import evaluate_traced, flat_inputs

        runnable = getattr(self, "_runnable", [])
        if not runnable:
            raise ValueError("these stages were loaded, not traced here: nothing to run")
        index = stage if stage >= 0 else len(runnable) + stage
        closed, plan, static, static_names = runnable[index]
        args, kwargs, said = seeded(plan.args, plan.kwargs)
        if said:  # abstract arguments: traced again on seeded values of their shapes
            from jaxviz.trace.session import trace_closed

            plan = dataclasses.replace(plan, args=args, kwargs=kwargs)
            closed, _ = trace_closed(plan, static, self.source_file, static_names)
        result = evaluate_traced(closed, flat_inputs(plan, static, static_names),
                                 self[index].ir.graph, plan.title, threshold,
                                 stop_at_nonfinite, filename=self.source_file)
        result["seeded"] = said
        return result

    def sharding(self, stage: int = -1, mesh: Any = None,
                 against: Stages | None = None) -> dict:
        """Compile jaxpr stage ``stage`` over its mesh and say what the SPMD partitioner did:
        ``collectives`` (kind, bytes per device, mesh ``axes``, the equations and source
        lines each serves), ``edges`` (each result's sharding as XLA chose it, ``asked``
        where the user gave one), ``costs`` per device beside global. Give the shardings as
        JAX takes them, ``jax.jit(f, in_shardings=NamedSharding(mesh, P('data')))``, or use
        ``shard_map``; ``mesh``: a ``jax.sharding.Mesh`` when the program names none.
        ``against``: other stages of the same function (another sharding or mesh): adds
        ``what_if`` with their report and the ``diff``."""
        from jaxviz.core.xla.sharding_diff import diff
        from jaxviz.trace.sharding import stage_report

        result = stage_report(*self._traced(stage), mesh, self.source_file)
        if against is not None:
            other = stage_report(*against._traced(stage), mesh, against.source_file)
            result["what_if"] = {"text": against.pipeline, "report": other,
                                 "diff": diff(result, other)}
        return result

    def _traced(self, stage: int) -> tuple:
        """(closed jaxpr, IR stage) of jaxpr stage ``stage``, traced in this process."""
        runnable = getattr(self, "_runnable", [])
        if not runnable:
            raise ValueError("these stages were loaded, not traced here: nothing to compile")
        index = stage if stage >= 0 else len(runnable) + stage
        return runnable[index][0], self[index].ir

    def show(self, block: bool = True, screenshot: str | None = None):
        """The desktop app on these stages (see ``jaxviz.show``)."""
        data = {"stages": [to_dict(s.ir) for s in self._stages], "file": self.source_file,
                "function": self.function, "pipeline": self.pipeline}
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
        with handle:
            json.dump(data, handle)
        cmd = [sys.executable, "-m", "jaxviz.ui.viewer", handle.name]
        if screenshot:
            cmd += ["--screenshot", str(screenshot)]
        process = subprocess.Popen(cmd)
        if not block:
            return process
        process.wait()
        return None

    def _repr_html_(self) -> str:
        parts = [_stage_html(s, open_text=False, open_graph=k == len(self) - 1)
                 for k, s in enumerate(self._stages)]
        return "<div class='jaxviz'>" + "".join(parts) + "</div>"


class Diff:
    """The structural diff of two stages (``core.diff``), with its summary and counts."""

    def __init__(self, before: Stage, after: Stage):
        from jaxviz.core.diff.stages import diff_stages

        self.before, self.after = before, after
        self.result = diff_stages(before.ir, after.ir)
        self.summary, self.counts = self.result.summary, self.result.counts

    def __repr__(self) -> str:
        c = self.counts
        return (f"<Diff {self.result.before} → {self.result.after}: unchanged "
                f"{c['unchanged']}, changed {c['changed']}, added {c['added']}, removed "
                f"{c['removed']}>")

    def _repr_html_(self) -> str:
        from jaxviz.core.diff.view import decorate, diff_html
        from jaxviz.core.export.images import export_bytes

        svgs = [export_bytes(decorate(stage.layout(), classes), to_dict(stage.ir), "svg",
                             legend=False)
                for stage, classes in ((self.before, self.result.classes_before()),
                                       (self.after, self.result.classes_after()))]
        page = diff_html(self.result, svgs[0], svgs[1], self.before.jaxpr, self.after.jaxpr)
        return page[page.find("<body>") + 6:page.rfind("</body>")] if "<body>" in page else page


def _stage_html(stage: Stage, open_text: bool, open_graph: bool = True) -> str:
    """A stage inline: its title and counts, the graph (first view: big groups closed, with a
    note of what was left closed), and JAX's text behind a toggle."""
    from jaxviz.core.model.graph_model import GraphModel

    model = GraphModel(stage.graph)
    closed = [g for gid, g in model.groups.items() if gid not in model.open
              and (g.parent is None or g.parent in model.open)]
    svg = stage.svg()
    svg = svg[svg.find(b"<svg"):].decode()
    note = (f"<p style='color:#6b7280'>{len(closed)} group(s) shown closed "
            f"({sum(g.equations for g in closed)} equations); open them in the app with "
            f"<code>jaxviz.show</code> or export with <code>expand_all=True</code>.</p>"
            if closed else "")
    e = html.escape
    graph = (f"<details{' open' if open_graph else ''}><summary>graph</summary>"
             f"<div style='overflow:auto;max-height:700px'>{svg}</div>{note}</details>")
    text = (f"<details{' open' if open_text else ''}><summary>jaxpr</summary>"
            f"<pre style='font-size:11px'>{e(stage.jaxpr)}</pre></details>")
    return (f"<div style='margin:6px 0'><b>{e(stage.title)}</b> · {e(stage.ir.count_text())}"
            f"{graph}{text}</div>")
