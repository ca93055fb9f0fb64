"""The stages of the last trace as the window holds them: IR, models, layouts, node indexes.

``build_stage_set`` runs on the tracing service's thread (see ``WorkerService.prepare``):
rebuilding a large IR is pure Python, which yields the GIL every few milliseconds, so the
window keeps answering while it happens.
"""

from __future__ import annotations

import gc
import itertools
import sys
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

from ..core.errors import ErrorInfo
from ..core.ir.graph import EQN, Node, Stage, gc_paused, stage_from_dict
from ..core.layout.engine import Layout
from ..core.model.graph_model import GraphModel
from ..core.xla.residuals import has_backward
from ..worker import protocol as p

_SERIALS = itertools.count(1)


@dataclass
class StageSet:
    """The stages of the last successful trace, with their models and layouts."""

    stages: list[Stage] = field(default_factory=list)
    layouts: list[Layout | None] = field(default_factory=list)  # None: not laid out yet
    models: list[GraphModel] = field(default_factory=list)
    nodes: list[dict[str, Node]] = field(default_factory=list)
    current: int = 0
    views: dict[int, tuple] = field(default_factory=dict)  # see view_of
    layout_cache: dict[tuple, Layout] = field(default_factory=dict)  # (stage, open groups)
    serial: int = field(default_factory=lambda: next(_SERIALS))  # tells traces apart
    jax_nesting: bool = False  # groups by JAX's nesting only (View → Group by JAX's nesting)
    extra_from: int | None = None  # stages from here on are not the pipeline's (a pmap run's)
    batch: dict[int, object] = field(default_factory=dict)  # see batch_axes_of

    def remember_layout(self, index: int, open_groups: frozenset, layout: Layout) -> None:
        if len(self.layout_cache) > 64:  # a bounded memory of recent states
            self.layout_cache.pop(next(iter(self.layout_cache)))
        self.layout_cache[(index, open_groups)] = layout

    def cached_layout(self, index: int) -> Layout | None:
        return self.layout_cache.get((index, frozenset(self.models[index].open)))

    def view_of(self, index: int, layout: Layout | None = None,
                open_groups: frozenset | None = None) -> tuple:
        """(visible nodes, tooltips, search texts) of a stage as its groups are open now;
        computed once per open state, preferably on a service thread (see ``prepare_views``).
        A layout of that state already lists the visible nodes: no need to work them out."""
        from ..core.diff.batch_axes import with_batch_axes
        from ..core.model.tooltips import search_texts, tooltips

        model = self.models[index]
        key = frozenset(model.open) if open_groups is None else open_groups
        cached = self.views.get(index)
        if cached is None or cached[0] != key:
            view = SimpleNamespace(nodes=layout.nodes) if layout is not None else model.visible()
            tips, axes = tooltips(model, view), self.batch_axes_of(index)
            tips = with_batch_axes(tips, model, axes) if axes is not None else tips
            cached = (key, view, tips, search_texts(model, view))
            self.views[index] = cached
        return cached[1:]

    def batch_axes_of(self, index: int):
        """On a stage of the pipeline that a vmap made (a jit of one too): the batch axis of
        each variable (``core.diff.batch_axes``), once per stage; None on the others."""
        from ..core.diff.batch_axes import stage_batch_axes

        if index not in self.batch:
            pipeline = self.stages[:self.extra_from]  # a pmap run's stages are not its
            self.batch[index] = (stage_batch_axes(pipeline, index) if index < len(pipeline)
                                 else None)
        return self.batch[index]

    def add(self, data: dict, layout: dict | None) -> None:
        self.add_built(build_stage(data), layout)

    def add_built(self, built: BuiltStage, layout: dict | None) -> None:
        with gc_paused():
            self.stages.append(built.stage)
            self.models.append(built.model)
            self.nodes.append(built.nodes)
            self.layouts.append(Layout.from_dict(layout) if layout else None)
            if layout:
                self.remember_layout(len(self.stages) - 1, frozenset(self.models[-1].open),
                                     self.layouts[-1])

    def key(self, index: int) -> str:
        """The graph's key in the layout worker: this trace, this stage, this grouping."""
        return f"{self.serial}/{index}" + ("/jax" if self.jax_nesting else "")

    def regroup(self, jax_nesting: bool) -> None:
        """Every stage's groups made again, by JAX's nesting or by the user's calls; the
        layouts made for the other grouping are dropped."""
        self.jax_nesting = jax_nesting
        self.models = [GraphModel(s.graph, jax_nesting=jax_nesting) for s in self.stages]
        self.layouts = [None] * len(self.stages)
        self.layout_cache.clear()
        self.views.clear()

    def state(self, index: int, with_graph: bool) -> p.GraphState:
        """What the layout worker needs to lay out stage ``index`` as it is open now: the
        graph only when the worker does not have it yet."""
        return p.GraphState(self.key(index), sorted(self.models[index].open),
                            self.graph_to_send(index) if with_graph else None,
                            self.jax_nesting)

    def graph_to_send(self, index: int) -> p.GraphToSend:
        """Stage ``index``'s graph for the layout worker, made plain data only when sent."""
        return p.GraphToSend(self.stages[index].graph)


@dataclass
class BuiltStage:
    """One stage as the window holds it: the IR's objects, its model, its nodes by id."""

    stage: Stage
    model: GraphModel
    nodes: dict[str, Node]


def build_stage(data: dict) -> BuiltStage:
    """A stage's objects from its data (on a service's thread: the stage a trace sends
    ahead is built while the worker prints its text)."""
    with gc_paused():
        stage = stage_from_dict(data)
        model = GraphModel(stage.graph)
        has_backward(stage)  # asked by the window on every stage shown: known now
        return BuiltStage(stage, model, {n.id: n for n in stage.graph.walk_nodes()})


def add_text(built: BuiltStage, text: p.AheadText) -> BuiltStage:
    """The text of a stage built ahead of it, put on its equations."""
    stage = built.stage
    stage.jaxpr = text.jaxpr
    stage.timings.update(text.timings)
    equations = (n for n in stage.graph.walk_nodes() if n.kind == EQN)
    for node, line, printed in zip(equations, text.lines, text.texts):
        node.text_line, node.text = line, printed
    return built


def build_stage_set(request, response):
    """Attach a ready StageSet to a TraceResult (on the service's thread). A stage that is
    None came ahead (``response.ahead``, built already); its text is ``ahead_text``."""
    if isinstance(response, p.TraceResult):
        built = StageSet()
        layouts = response.layouts or [None] * len(response.stages)
        for data, layout in zip(response.stages, layouts):
            if data is not None:
                built.add(data, layout)
            elif response.ahead is not None and response.ahead_text is not None:
                built.add_built(add_text(response.ahead, response.ahead_text), layout)
            else:  # never seen: the stage sent ahead did not come
                response.error = ErrorInfo(kind="crash", message="the graph of stage "
                                           f"{len(built.stages)} was lost on its way")
                break
        response.ahead = None
        if built.stages:  # the stage the window shows first
            built.view_of(len(built.stages) - 1, built.layouts[-1])
        # Millions of small objects now live as long as this trace is shown: exempt them from
        # the cyclic collector, whose full passes over them cost 0.2 s pauses at 26,000
        # equations. They hold no cycles, so reference counting still frees them.
        gc.freeze()
        response.prepared = built
        # The IR as received is not kept (the window holds the objects only); dropped with
        # the response on the GUI thread, its millions of dicts were a 140-180 ms pause at
        # 101,203 equations. Taken apart on a thread of its own, a chunk at a time.
        received, response.stages = response.stages, []
        threading.Thread(target=_clear_received, args=(received,), daemon=True).start()
    return response


def build_stage_ahead(data: dict) -> BuiltStage:
    """``build_stage`` of a stage sent ahead; its data then taken apart as the result's is."""
    built = build_stage(data)
    threading.Thread(target=_clear_received, args=([data],), daemon=True).start()
    return built


def _clear_received(stages: list[dict | None]) -> None:
    for data in stages:
        graph = (data or {}).get("graph") or {}
        for key in ("nodes", "edges"):
            if isinstance(graph.get(key), list):
                _clear_in_chunks(graph[key])


def prepare_views(stage_set_of):
    """A ``prepare`` hook for the layout service: the layouts just made, rebuilt, and the
    views of their stages, all on the service's thread."""
    def prepare(request, response):
        if isinstance(response, p.LayoutResult):
            stage_set = stage_set_of()
            response.prepared = [Layout.from_dict(data) for data in response.layouts]
            for index, layout, state in zip(response.stages, response.prepared, request.models):
                if index < len(stage_set.models):  # keyed by the open groups laid out
                    stage_set.view_of(index, layout, frozenset(state.open))
        return response
    return prepare


RELEASE_CHUNK = 2000  # objects freed per turn, then the GIL goes back to the window


def release_later(stage_set: StageSet) -> None:
    """Free a replaced stage set on a thread of its own, a chunk at a time. Dropped at once,
    a 100,000-equation set was 0.27 s of deallocation on the GUI thread (its IR as received
    0.13 s, no longer kept; its stages 0.14 s): the window's longest gap on a retrace. Only
    what nothing else holds is taken apart (a stage a diff still shows is left whole, and
    freed as usual)."""
    threading.Thread(target=_dismantle, args=(stage_set,), daemon=True).start()


def _dismantle(stage_set: StageSet) -> None:
    stage_set.views, stage_set.layout_cache = {}, {}
    for owners, parts in _BIG_PARTS:
        for owner in getattr(stage_set, owners):
            if sys.getrefcount(owner) > _OWNED:
                continue  # someone else holds it: left whole, freed as usual
            try:
                containers = parts(owner)
            except (AttributeError, TypeError):  # not what a trace makes: freed as usual
                continue
            for container in containers:
                _clear_in_chunks(container)


_OWNED = 3  # references to an object only its stage set's list holds: the list, the loop
# variable, getrefcount's argument
_BIG_PARTS = [  # each list of the stage set, and the big containers of each of its items
    ("models", lambda model: [model.nodes, model.group_of]),
    ("nodes", lambda nodes: [nodes]),
    ("stages", lambda stage: [stage.graph.nodes, stage.graph.edges]),
]


def _clear_in_chunks(container) -> None:
    if isinstance(container, list):
        while container:
            del container[-RELEASE_CHUNK:]
            time.sleep(0)  # let the window run
    elif isinstance(container, dict):
        while container:
            for key in list(itertools.islice(container, RELEASE_CHUNK)):
                del container[key]
            time.sleep(0)
