"""The main window's results: answers of the tracing worker (stages, devices, pmap, timing,
retraces), errors, notes and the stage shown.

A controller the window holds (``window.results``), not a mixin of it; it uses the window's
views and services."""

from __future__ import annotations

import time

from ..core.errors import ErrorInfo
from ..core.model.styles import legend_entries
from ..worker import protocol as p
from .stage_set import StageSet

# stages up to this size go to the layout worker ahead of the first toggle; sending a bigger
# one at once costs the window event-loop gaps over 100 ms (measured at 19,803 equations), so
# its first toggle carries it instead
PRIME_MAX = 5_000


class ResultsController:
    """Worker answers into the views, for the window ``w``."""

    def __init__(self, window):
        self.w = window

    # --- results --------------------------------------------------------------------------

    def on_worker_answer(self, request, response) -> None:
        """Answers of the tracing worker, by kind."""
        self.trace_answered(request)
        if isinstance(response, p.Failure):
            self.w.values.launch = False  # --find-nan's evaluation failed: no colours to set
            self.on_failure(request, response.error)
        elif isinstance(response, p.TraceResult):
            self.on_traced(request, response)
        elif isinstance(response, p.DevicesResult):
            self.w.devices.show_devices(response)
        elif isinstance(response, p.PmapResult):
            self.w.document.device_results["pmap"] = response
            self.w.devices.show_pmap(response)
        elif isinstance(response, p.BenchResult):
            self.w.document.device_results["bench"] = response
            self.w.devices.show_bench(response)
        elif isinstance(response, p.RetraceResult):
            self.w.devices.retrace.show_result(response)
        elif isinstance(response, p.ValuesResult):
            self.w.values.on_result(request, response)
        elif isinstance(response, p.ShardingResult):
            self.w.sharding.on_result(response)

    def set_host_devices(self, count: int) -> None:
        """Restart the worker with ``count`` simulated CPU devices; the session stays."""
        self.w.session.host_devices = count
        self.w.files.autosave()
        self.w.tracer.cancel()
        self.w.tracer.client.restart(host_devices=count)
        self.w.tracer.submit(p.DevicesRequest())
        self.w.trace()

    def show_extra_stage(self, stage_data: dict) -> None:
        """Add a stage that is not in the pipeline (the pmap run's) and show it."""
        s = self.w.set
        if s.extra_from is None:
            s.extra_from = len(s.stages)
        s.add(stage_data, None)
        self.w.stage_strip.set_stages(s.stages, len(s.stages) - 1)
        self.show_stage(len(s.stages) - 1)

    def on_first_view(self, request, view: p.FirstView) -> None:
        """The stage shown first, drawn as soon as it is laid out, while the IR of every stage
        still travels and is rebuilt: to look at and pan, not to click (a click needs the
        stages); the trace result then finds it drawn and only makes it live."""
        if not isinstance(request, p.TraceRequest):
            return
        self.w.first_view = view
        self.w.first_view_waiting = []  # what the trace result asks for once it is all drawn
        self.w.graph.setInteractive(False)

        def drawn():
            self.w.firstViewShown.emit(view.stage)
            waiting, self.w.first_view_waiting = self.w.first_view_waiting, None
            for then in waiting or ():
                then()

        # the text up is the last trace's: it would not match this drawing
        self.w.jaxpr.set_text(
            f"{view.title}: JAX's text comes in a moment (it is printed once the graph is drawn)"
        )
        self.w.graph.show_layout(
            view.prepared,
            view.tooltips,
            view.search,
            self.w.labels_action.isChecked(),
            keep_view=False,
            on_done=drawn,
        )
        self.w.legend.set_entries(
            legend_entries(view.prepared.nodes.values(), in_app=True)
            if self.w.legend_action.isChecked()
            else []
        )
        self.w.minimap.set_layout(
            view.prepared, needed=not self.w.graph.fits_readably(view.prepared)
        )

    def first_view_drawn(self, index: int, layout) -> bool:
        """Whether the graph up is already this stage's layout, drawn ahead as its first
        view (and no overlay would colour it now); it may still be filling in: see
        ``after_first_view``."""
        view, self.w.first_view = self.w.first_view, None
        return (
            view is not None
            and view.stage == index
            and self.w.graph.layout_data is view.prepared
            and self.w.xla_view.overlaid(layout) is layout
        )

    def after_first_view(self, then) -> None:
        """Run ``then`` once the first view's items are all in (now, if they are)."""
        if self.w.first_view_waiting is None:
            then()
        else:
            self.w.first_view_waiting.append(then)

    def drop_first_view(self) -> None:
        """A trace whose first view is up failed or was cancelled: back to what was up."""
        if self.w.first_view is not None:
            self.w.first_view = None
            self.w.graph.setInteractive(True)
            self.w.jaxpr.set_text(
                self.w.set.stages[self.w.set.current].jaxpr if self.w.set.stages else ""
            )
            self.w.drawing.redraw() if self.w.set.stages else self.w.graph.clear()

    def on_traced(self, request, response) -> None:
        received = time.perf_counter()
        built: StageSet = response.prepared
        stages = built.stages
        same_pipeline = [s.title for s in stages] == [s.title for s in self.w.set.stages]
        built.current = max(self.w.set.current if same_pipeline else len(stages) - 1, 0)
        if response.first_view_stale:  # its graph was built again: drawn again, not kept
            self.w.first_view = None
        self.w.document.answered(response.error, built)
        if response.stdout:
            self.w.statusBar().showMessage(f"Your code printed: {response.stdout[:200]}", 8000)
        self.w.stage_strip.set_stages(stages, self.w.set.current)
        self.show_stage(self.w.set.current)
        self.w.xla_view.apply_launch_view()
        self.report_timings(received)
        prime = (
            self.w.feed.prime_request(self.w.set, [self.w.set.current])
            if self.w.set.stages[self.w.set.current].equations <= PRIME_MAX
            else None
        )
        if prime is not None:  # in the background: the first toggle then sends no graph
            self.w.layouter.submit(prime)

    def report_timings(self, received: float) -> None:
        stage = self.w.set.stages[self.w.set.current] if self.w.set.stages else None
        total = time.perf_counter() - self.w.trace_started
        if stage is None:
            return
        t = stage.timings
        steps = (
            ("trace", "ir", "layout", "text")
            if stage.is_jaxpr
            else ("lower", "compile", "map", "layout")
        )  # in the order they ran
        always = ("trace", "ir", "layout") if stage.is_jaxpr else ("layout",)
        done = " · ".join(
            f"{_STEP_NAMES.get(s, s)} {t.get(s, 0) * 1000:.0f} ms"
            for s in steps
            if s in t or s in always
        )
        self.w.timings.setText(
            f"{stage.title}: {done} · draw {(time.perf_counter() - received) * 1000:.0f} ms"
            f"  —  request to screen {total * 1000:.0f} ms"
        )

    def trace_answered(self, request) -> None:
        if isinstance(request, p.TraceRequest) and self.w.session.trace_in_flight:
            self.w.session.trace_in_flight = False
            self.w.files.autosave()

    def on_failed(self, request, info: ErrorInfo) -> None:
        self.trace_answered(request)
        if isinstance(request, p.TraceRequest):
            self.drop_first_view()
        if info.kind != "cancelled":
            self.on_failure(request, info)

    def on_failure(self, request, info: ErrorInfo) -> None:
        """A trace's error is the code's (the document's); a pmap, timing or retrace error
        is shown where it was asked for, and marks no line of the code."""
        if isinstance(request, p.TraceRequest):
            self.drop_first_view()
            self.w.document.answered(info)
        elif isinstance(request, p.LayoutRequest | p.ExportRequest | p.PrimeRequest):
            self.w.errors.show_error(info)
        else:
            self.w.devices.show_failure(request, info.summary())
            self.w.statusBar().showMessage(info.summary(), 8000)

    def device_stage(self) -> int:
        """The pipeline stage pmap and the timing run: the one shown (a lower or compile
        stage stands for the jaxpr stage it was made from)."""
        if not self.w.set.stages:
            return -1
        if self.w.set.extra_from is not None and self.w.set.current >= self.w.set.extra_from:
            return -1  # a pmap run's stage shown: the pipeline's last
        stage = self.w.set.stages[self.w.set.current]
        return stage.source_stage if stage.source_stage is not None else self.w.set.current

    def all_notes(self) -> list[dict]:
        """The notes of every stage, once each, saying which trace found them: a trace that
        JAX took from its cache (a jit stage) runs no Python, so finds nothing new."""
        seen, notes = set(), []
        for stage in self.w.set.stages:
            for n in stage.notes:
                key = (n["kind"], n["message"], n.get("line"))
                if key not in seen:
                    seen.add(key)
                    notes.append(dict(n, message=f"{n['message']} (tracing {stage.title})"))
        return notes

    def show_stage(self, index: int) -> None:
        if not 0 <= index < len(self.w.set.stages):
            self.w.graph.clear()
            return
        self.w.set.current = index
        stage, layout = self.w.set.stages[index], self.w.set.layouts[index]
        self.w.jaxpr.set_text(stage.jaxpr)
        self.w.xla_view.show(index)
        self.w.devices.show_stage_in_use(self.w.set.stages[self.device_stage()].title)
        self.w.notes.show_notes(self.all_notes())
        self.w.details.show_node(None)
        if layout is None:  # laid out on demand: only the last stage comes laid out
            self.w.graph.clear()
            self.w.drawing.request_layouts(
                [index],
                then=lambda: self.show_stage(index) if self.w.set.current == index else None,
            )
            return
        self.w.drawing.draw(layout, keep_view=False)
        if self.w.drawing.diff_mode():
            if index == 0:
                self.w.diff_button.setChecked(False)
            else:
                self.w.drawing.show_diff()


# the status bar's words for a stage's timings: "ir" is the graph, built before JAX's text
_STEP_NAMES = {"ir": "graph", "text": "JAX's text"}
