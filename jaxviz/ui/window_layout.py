"""The main window's diff mode and layouts: the side-by-side diff of two stages, and the
layout of what is open now (from the cache, else from the layout worker, which keeps each
stage's graph by key). A mixin of ``MainWindow``, like ``window_files``; it uses the
window's views and services."""

from __future__ import annotations

from jaxviz.core.layout.engine import Layout
from jaxviz.core.model.styles import legend_entries

from ..worker import protocol as p


class DiffAndLayout:
    """Diff mode, drawing and laying out; mixed into MainWindow."""

    # --- diff mode ------------------------------------------------------------------------

    def set_diff_mode(self, on: bool) -> None:
        """Side-by-side diff of the current stage with the one before it."""
        if on and len(self.set.stages) < 2:
            self.diff_button.setChecked(False)
            self.statusBar().showMessage("Diff mode needs a pipeline with a transform", 4000)
            return
        if on and self.set.current == 0:
            self.stage_strip.setCurrentIndex(1)
        self.pages.setCurrentIndex(1 if on else 0)
        if on:
            self._show_diff()

    def diff_mode(self) -> bool:
        return self.pages.currentIndex() == 1

    def _show_diff(self) -> None:
        s = self.set
        if not (self.diff_mode() and s.current >= 1):
            return
        missing = [i for i in (s.current - 1, s.current) if s.layouts[i] is None]
        if missing:
            self._request_layouts(missing, then=self._show_diff)
            return
        self.diff_panel.show_step(s.stages, s.layouts, s.models, s.current)
        self.diffShown.emit(s.current)

    def step_diff(self, step: int) -> None:
        """Previous or next transformation (in diff mode, stage 0 is never the 'after')."""
        if not self.set.stages:
            return
        target = self.set.current + step
        low = 1 if self.diff_mode() else 0
        if low <= target < len(self.set.stages):
            self.stage_strip.setCurrentIndex(target)

    def _draw(self, layout: Layout, keep_view: bool) -> None:
        index = self.set.current
        drawn = self._first_view_drawn(index, layout) and not keep_view
        layout = self.xla_view.overlaid(layout)
        self.graph.setInteractive(True)

        def done():
            if self.search.text():
                self.selector.on_search(self.search.text())
            self.xla_view.select_kernel(index)
            self.values.after_draw()
            self.graphShown.emit(index)

        if drawn:  # the same drawing, already up (or going up): the scene stays, and its
            _, tips, search = self.set.view_of(index)  # hover texts get JAX's text lines
            self.after_first_view(lambda: (self.graph.set_tooltips(tips, search), done()))
        else:
            _, tips, search = self.set.view_of(index)
            self.graph.show_layout(layout, tips, search, self.labels_action.isChecked(),
                                   keep_view, on_done=done)
        self.legend.set_entries(legend_entries(layout.nodes.values(), in_app=True,
                                               overlay=layout.overlay)
                                if self.legend_action.isChecked() else [])
        self.minimap.set_layout(layout, needed=not self.graph.fits_readably(layout))

    def redraw(self) -> None:
        if self.set.stages:
            self._draw(self.set.layouts[self.set.current], keep_view=True)

    def step_stage(self, step: int) -> None:
        if self.set.stages:
            self.stage_strip.setCurrentIndex((self.set.current + step) % len(self.set.stages))

    # --- groups and layout ----------------------------------------------------------------

    def toggle_group(self, gid: str) -> None:
        model = self.set.models[self.set.current]
        model.toggle(gid)
        self._request_layout()

    def open_all_groups(self) -> None:
        if self.set.models:
            self.set.models[self.set.current].open_all()
            self._request_layout()

    def open_to_depth(self, depth: int) -> None:
        """View → Open to depth: the groups down to ``depth`` open, every one below closed
        (0: one box per function, module and library call), as ``--depth``."""
        if self.set.models:
            model = self.set.models[self.set.current]
            model.open = model.open_to_depth(depth)
            self._request_layout()

    def group_by_jax_nesting(self, on: bool) -> None:
        """View → Group by JAX's nesting: jit, scan, cond, custom rules and named scopes as
        the groups, instead of the user's functions, modules and library calls."""
        if self.set.stages:
            self.set.regroup(on)
            self.show_stage(self.set.current)

    def relayout(self) -> None:
        """Layout options changed: every stage is laid out again when next shown."""
        self.autosave()
        if self.set.models:
            self.set.layouts = [None] * len(self.set.stages)
            self.set.layout_cache.clear()
            self.show_stage(self.set.current)

    def _request_layout(self) -> None:
        """Lay out the current stage again (a group opened or closed, an option changed)."""
        index = self.set.current

        def redraw():
            if self.set.current == index and self.set.layouts[index] is not None:
                self._draw(self.set.layouts[index], keep_view=True)
        self._request_layouts([index], then=redraw)

    def _request_layouts(self, indices: list[int], then=None) -> None:
        """Lay out stages as their groups are open now: from the cache when this state was
        laid out before (closing a group just opened costs nothing), else in the worker."""
        cached = [self.set.cached_layout(i) for i in indices]
        if all(layout is not None for layout in cached):
            for i, layout in zip(indices, cached):
                self.set.layouts[i] = layout
            if then is not None:
                then()
            return
        self._after_layout = then
        self.layouter.submit(self.feed.layout_request(self.set, list(indices),
                                                      self.layout_options()))

    def _on_layout_done(self, request, response) -> None:
        if isinstance(response, p.Failure) and isinstance(request, p.LayoutRequest) and \
                response.error.message == p.UNKNOWN_GRAPH:
            self.feed.forget()  # the worker restarted: send the graphs again
            self._request_layouts(request.stages, then=self._after_layout)
        elif isinstance(response, p.Failure):
            self.errors.show_error(response.error)
        elif isinstance(response, p.LayoutResult):
            stale = [self.set.key(i) for i in response.stages] != \
                [m.key for m in request.models]
            if stale:  # a new trace came in meanwhile
                return
            ready = response.prepared or [Layout.from_dict(d) for d in response.layouts]
            for index, layout, state in zip(response.stages, ready, request.models):
                self.set.layouts[index] = layout
                self.set.remember_layout(index, frozenset(state.open), layout)
            then, self._after_layout = self._after_layout, None
            if then is not None:
                then()
        elif isinstance(response, p.ExportResult):
            self.statusBar().showMessage("Exported " + ", ".join(response.paths), 6000)
            self.exported.emit(response.paths)

