"""The main window's diff mode and layouts: the side-by-side diff of two stages, and the
layout of what is open now (from the cache, else from the layout worker, which keeps each
stage's graph by key).

A controller the window holds (``window.drawing``), not a mixin of it: it uses the window's
views and services, and keeps only what waits for a layout."""

from __future__ import annotations

from ..core.layout.engine import Layout
from ..core.model.styles import legend_entries
from ..worker import protocol as p


class DrawingController:
    """Diff mode, drawing and laying out, for the window ``w``."""

    def __init__(self, window):
        self.w = window
        self.after_layout = None  # what to do once the layouts asked for arrive

    # --- diff mode ------------------------------------------------------------------------

    def set_diff_mode(self, on: bool) -> None:
        """Side-by-side diff of the current stage with the one before it."""
        if on and len(self.w.set.stages) < 2:
            self.w.diff_button.setChecked(False)
            self.w.statusBar().showMessage("Diff mode needs a pipeline with a transform", 4000)
            return
        if on and self.w.set.current == 0:
            self.w.stage_strip.setCurrentIndex(1)
        self.w.pages.setCurrentIndex(1 if on else 0)
        if on:
            self.show_diff()

    def diff_mode(self) -> bool:
        return self.w.pages.currentIndex() == 1

    def show_diff(self) -> None:
        s = self.w.set
        if not (self.diff_mode() and s.current >= 1):
            return
        missing = [i for i in (s.current - 1, s.current) if s.layouts[i] is None]
        if missing:
            self.request_layouts(missing, then=self.show_diff)
            return
        self.w.diff_panel.show_step(s.stages, s.layouts, s.models, s.current)
        self.w.diffShown.emit(s.current)

    def step_diff(self, step: int) -> None:
        """Previous or next transformation (in diff mode, stage 0 is never the 'after')."""
        if not self.w.set.stages:
            return
        target = self.w.set.current + step
        low = 1 if self.diff_mode() else 0
        if low <= target < len(self.w.set.stages):
            self.w.stage_strip.setCurrentIndex(target)

    def draw(self, layout: Layout, keep_view: bool) -> None:
        index = self.w.set.current
        drawn = self.w.results.first_view_drawn(index, layout) and not keep_view
        layout = self.w.xla_view.overlaid(layout)
        self.w.graph.setInteractive(True)

        def done():
            if self.w.search.text():
                self.w.selector.on_search(self.w.search.text())
            self.w.xla_view.select_kernel(index)
            self.w.values.after_draw()
            self.w.graphShown.emit(index)

        if drawn:  # the same drawing, already up (or going up): the scene stays, and its
            _, tips, search = self.w.set.view_of(index)  # hover texts get JAX's text lines
            self.w.results.after_first_view(
                lambda: (self.w.graph.set_tooltips(tips, search), done())
            )
        else:
            _, tips, search = self.w.set.view_of(index)
            self.w.graph.show_layout(
                layout, tips, search, self.w.labels_action.isChecked(), keep_view, on_done=done
            )
        self.w.legend.set_entries(
            legend_entries(layout.nodes.values(), in_app=True, overlay=layout.overlay)
            if self.w.legend_action.isChecked()
            else []
        )
        self.w.minimap.set_layout(layout, needed=not self.w.graph.fits_readably(layout))

    def redraw(self) -> None:
        if self.w.set.stages:
            self.draw(self.w.set.layouts[self.w.set.current], keep_view=True)

    def step_stage(self, step: int) -> None:
        if self.w.set.stages:
            self.w.stage_strip.setCurrentIndex((self.w.set.current + step) % len(self.w.set.stages))

    # --- groups and layout ----------------------------------------------------------------

    def toggle_group(self, gid: str) -> None:
        model = self.w.set.models[self.w.set.current]
        model.toggle(gid)
        self.request_layout()

    def open_all_groups(self) -> None:
        if self.w.set.models:
            self.w.set.models[self.w.set.current].open_all()
            self.request_layout()

    def open_to_depth(self, depth: int) -> None:
        """View → Open to depth: the groups down to ``depth`` open, every one below closed
        (0: one box per function, module and library call), as ``--depth``."""
        if self.w.set.models:
            model = self.w.set.models[self.w.set.current]
            model.open = model.open_to_depth(depth)
            self.request_layout()

    def group_by_jax_nesting(self, on: bool) -> None:
        """View → Group by JAX's nesting: jit, scan, cond, custom rules and named scopes as
        the groups, instead of the user's functions, modules and library calls."""
        if self.w.set.stages:
            self.w.set.regroup(on)
            self.w.results.show_stage(self.w.set.current)

    def relayout(self) -> None:
        """Layout options changed: every stage is laid out again when next shown."""
        self.w.files.autosave()
        if self.w.set.models:
            self.w.set.layouts = [None] * len(self.w.set.stages)
            self.w.set.layout_cache.clear()
            self.w.results.show_stage(self.w.set.current)

    def request_layout(self) -> None:
        """Lay out the current stage again (a group opened or closed, an option changed)."""
        index = self.w.set.current

        def redraw():
            if self.w.set.current == index and self.w.set.layouts[index] is not None:
                self.draw(self.w.set.layouts[index], keep_view=True)

        self.request_layouts([index], then=redraw)

    def request_layouts(self, indices: list[int], then=None) -> None:
        """Lay out stages as their groups are open now: from the cache when this state was
        laid out before (closing a group just opened costs nothing), else in the worker."""
        cached = [self.w.set.cached_layout(i) for i in indices]
        if all(layout is not None for layout in cached):
            for i, layout in zip(indices, cached):
                self.w.set.layouts[i] = layout
            if then is not None:
                then()
            return
        self.after_layout = then
        self.w.layouter.submit(
            self.w.feed.layout_request(self.w.set, list(indices), self.w.layout_options())
        )

    def on_layout_done(self, request, response) -> None:
        if (
            isinstance(response, p.Failure)
            and isinstance(request, p.LayoutRequest)
            and response.error.message == p.UNKNOWN_GRAPH
        ):
            self.w.feed.forget()  # the worker restarted: send the graphs again
            self.request_layouts(request.stages, then=self.after_layout)
        elif isinstance(response, p.Failure):
            self.w.errors.show_error(response.error)
        elif isinstance(response, p.LayoutResult):
            stale = [self.w.set.key(i) for i in response.stages] != [m.key for m in request.models]
            if stale:  # a new trace came in meanwhile
                return
            ready = response.prepared or [Layout.from_dict(d) for d in response.layouts]
            for index, layout, state in zip(response.stages, ready, request.models):
                self.w.set.layouts[index] = layout
                self.w.set.remember_layout(index, frozenset(state.open), layout)
            then, self.after_layout = self.after_layout, None
            if then is not None:
                then()
        elif isinstance(response, p.ExportResult):
            self.w.statusBar().showMessage("Exported " + ", ".join(response.paths), 6000)
            self.w.exported.emit(response.paths)
