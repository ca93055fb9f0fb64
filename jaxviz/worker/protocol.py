"""The worker protocol: typed request and response dataclasses, each request paired with the
answers it may get (``ANSWERS``). ``codec.py`` writes and reads them.

Every field is typed. Payloads are dataclasses (``ErrorInfo``, ``LayoutOptions``,
``ExportSpec``, ``GraphState``, ``ExportItem``), written as plain data and rebuilt from the
field's type by the codec: no hand ``to_dict``/``from_dict`` at the call sites. The
graph IR and layouts are the exception, on purpose: they travel as ``StageData``/``LayoutData``
dicts (``core.ir.to_dict``, ``Layout.to_dict``), rebuilt on a service thread
(``ui/stage_set.py``), because rebuilding 100,000 nodes in the reading thread would hold the
window's GIL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jaxviz.core.errors import ErrorInfo
from jaxviz.core.layout.geometry import LayoutOptions

StageData = dict  # a core.ir.Stage as core.ir.to_dict writes it (IR version tagged)
LayoutData = dict  # a core.layout.Layout as Layout.to_dict writes it
LOCAL = {"wire": False}  # metadata of a field that stays in its process (never encoded)


@dataclass
class ExportSpec:
    """Files a trace writes in the worker, inside the request's time limit (the CLI's export):
    the answer then carries the paths written and the stages' titles only."""

    path: str
    format: str
    stage: str = "last"  # "last", "all" or an index
    dpi: float | None = None
    edge_labels: bool = True
    force: bool = False
    inputs: list[str] = field(default_factory=list)  # the run's own files: never overwritten
    color_by: str = "kind"  # an overlay (core/export/overlay.py)
    expand_all: bool = False
    depth: int | None = None  # groups deeper than this start closed (0: the top level only)
    jax_nesting: bool = False  # groups by JAX's nesting only, not by the user's calls


@dataclass
class GraphToSend:
    """A graph the window holds as objects only (``core.ir.Graph``), turned into plain data
    when its message is encoded, on the service's thread: the window does not keep the IR
    as received beside the objects rebuilt from it (a second copy of every stage)."""

    graph: Any

    def to_dict(self) -> dict:
        from jaxviz.core.ir.graph import to_dict

        return to_dict(self.graph)


@dataclass
class GraphState:
    """One stage as the layout worker needs it: its graph's key, the open groups, and the IR
    only the first time this worker sees the key (it keeps the graph: a toggle sends bytes).
    The worker always reads the graph as a dict; the window sends a ``GraphToSend``."""

    key: str
    open: list[str] = field(default_factory=list)
    graph: dict | GraphToSend | None = None
    jax_nesting: bool = False  # its groups by JAX's nesting only (the key tells it apart)


@dataclass
class ExportItem:
    """One file to render from a laid-out stage."""

    layout: LayoutData
    stage: StageData
    path: str

# --- requests -------------------------------------------------------------------------------


@dataclass
class TraceRequest:
    """Trace every stage of a pipeline; lay each out when ``layout`` options are given."""

    source: str
    function: str
    args: str
    pipeline: str
    filename: str = "<editor>"
    paths: list[str] = field(default_factory=list)  # extra import roots (--path)
    layout: LayoutOptions | None = None  # None: IR only
    expand_all: bool = False  # lay out with every group open
    depth: int | None = None  # ...or with the groups down to this depth open, none below
    jax_nesting: bool = False  # groups by JAX's nesting only (jit, scan, ...), not by calls
    layout_last_only: bool = False  # lay out only the last stage (the app: the rest on demand)
    export: ExportSpec | None = None  # write files in the worker (no IR travels back)
    text_only: bool = False  # stages without their graph IR (jaxviz trace prints text)
    first_view: bool = False  # send the last stage's layout ahead, as a Progress (the app)


@dataclass
class LayoutRequest:
    """Lay out graph models' visible graphs (a group opened or closed, a stage shown)."""

    models: list[GraphState]
    options: LayoutOptions = field(default_factory=LayoutOptions)
    stages: list[int] = field(default_factory=list)  # which stages they are, echoed back


UNKNOWN_GRAPH = "unknown graph key"  # a layout worker's answer when it lacks a key's graph


@dataclass
class PrimeRequest:
    """Give the layout worker stages' graphs ahead of the first toggle."""

    models: list[GraphState]


@dataclass
class Primed:
    keys: list[str]


@dataclass
class ExportRequest:
    """Render laid-out stages to files (in a worker: graphviz holds the GIL while it works)."""

    items: list[ExportItem]
    format: str | None = None
    dpi: float | None = None
    edge_labels: bool = True
    # paths the user agreed to replace (the save dialog asked); any other existing file that
    # is not an earlier export is refused
    confirmed: list[str] = field(default_factory=list)


@dataclass
class ExportResult:
    paths: list[str]


@dataclass
class DevicesRequest:
    """List the worker's local devices."""


@dataclass
class PmapRequest:
    """Run the function under pmap across local devices."""

    source: str
    function: str
    args: str
    filename: str = "<editor>"
    paths: list[str] = field(default_factory=list)  # extra import roots (--path)
    mode: str = "split"  # "split" the leading axis, "replicate", or "as-is" (already has it)
    axis_name: str = "i"
    devices: int | None = None  # how many devices; None: as many as the inputs need
    pipeline: str = ""  # pmap the function of one stage of this pipeline...
    stage: int = -1  # ...this one (-1: the last)


@dataclass
class ValuesRequest:
    """Evaluate one stage on values, equation by equation (``trace/values.py``)."""

    source: str
    function: str
    args: str
    filename: str = "<editor>"
    paths: list[str] = field(default_factory=list)
    pipeline: str = ""
    stage: int = -1  # -1: the last jaxpr stage
    threshold: float = 1e30  # "a value past a threshold": magnitudes above this
    stop_at_nonfinite: bool = False
    against: int | str | None = None  # also this stage ("xla": the stage jitted), compared


@dataclass
class ShardingRequest:
    """Compile a stage over a mesh and read what the partitioner did (``trace/sharding.py``)."""

    source: str
    function: str
    args: str
    filename: str = "<editor>"
    paths: list[str] = field(default_factory=list)
    pipeline: str = ""
    mesh: str = ""  # "data=4,model=2"; "" for the mesh the program's own shardings use
    in_shardings: str = ""  # "P('data', None), P()": set on the pipeline's last jit
    what_if: str = ""  # "in_shardings=(...), mesh='...'": a second partitioning, diffed


@dataclass
class BenchRequest:
    """Time the function eagerly and under jit."""

    source: str
    function: str
    args: str
    filename: str = "<editor>"
    paths: list[str] = field(default_factory=list)  # extra import roots (--path)
    repeats: int = 7
    pipeline: str = ""  # time the function of one stage of this pipeline...
    stage: int = -1  # ...this one (-1: the last)


@dataclass
class ShutdownRequest:
    """Ask the worker to exit."""


# --- responses ------------------------------------------------------------------------------


@dataclass
class Ready:
    """Sent once at start, after the worker has imported what it preloads."""

    pid: int
    jax_version: str = ""


@dataclass
class FirstView:
    """The stage the window shows first, laid out, sent ahead of the whole trace result: the
    window draws it while the full IR of every stage is still on its way (a 100,000-equation
    stage's IR is 80 MB; its first view a few boxes)."""

    stage: int  # its index in the pipeline
    title: str
    layout: LayoutData
    tooltips: dict[str, str]  # per visible node, as core.model.tooltips makes them
    search: dict[str, str]
    prepared: Any = field(default=None, metadata=LOCAL)  # the Layout, rebuilt off the GUI


@dataclass
class AheadText:
    """JAX's text of the stage whose graph went ahead (``Progress.ahead``), printed after."""

    index: int  # the stage's index in the pipeline
    jaxpr: str
    lines: list[int | None]  # per equation, in ``Graph.walk_nodes`` order: its text line
    texts: list[str]  # per equation, in the same order: its printed line
    timings: dict[str, float] = field(default_factory=dict)  # the stage's, text included


@dataclass
class Progress:
    """Sent during long requests (with the first view, for a trace that asked for it)."""

    message: str
    fraction: float = 0.0
    first_view: FirstView | None = None
    # the shown stage's graph, without its text (at most one): the window rebuilds it while
    # the worker prints the text; the result then has None for it and its ``ahead_text``
    ahead: list[StageData] = field(default_factory=list)
    # what follows is jaxviz's own work (text, graph, layout, sending), not the user's code:
    # the client's time limit, meant for endless loops in user code, no longer counts it
    ours: bool = False


# Progress messages that start the user's code again: each gets the whole time limit
USER_PHASES = ("tracing ", "compiling and running", "timing ", "calling ", "evaluating ")


@dataclass
class RetraceRequest:
    """Call jit(f) with each argument set in turn: did it trace again, and why."""

    source: str
    function: str
    calls: list[str]  # argument expressions, one per call
    filename: str = "<editor>"
    paths: list[str] = field(default_factory=list)
    static_argnums: list[int] = field(default_factory=list)
    static_argnames: list[str] = field(default_factory=list)


@dataclass
class RetraceResult:
    calls: list[dict]  # {"call", "args", "traced", "reason", "jax", "seconds"} per call
    stdout: str = ""


@dataclass
class TraceResult:
    stages: list[StageData]  # in pipeline order
    layouts: list[LayoutData | None] = field(default_factory=list)  # None: not laid out yet
    error: ErrorInfo | None = None  # of the first stage that failed; stages before it stay
    stdout: str = ""
    written: list[list[str]] = field(default_factory=list)  # [path, stage title] per export
    # the last stage's graph was built again after its first view went out (JAX's printer
    # named a variable otherwise than jaxpr_names found): that view must be drawn again
    first_view_stale: bool = False
    ahead_text: AheadText | None = None  # for the stage that is None in ``stages``
    # in the window's process only: the StageSet rebuilt from this (ui/stage_set.py), and
    # the stage that went ahead, rebuilt when it came
    prepared: Any = field(default=None, metadata=LOCAL)
    ahead: Any = field(default=None, metadata=LOCAL)


@dataclass
class LayoutResult:
    layouts: list[LayoutData]
    stages: list[int] = field(default_factory=list)
    prepared: Any = field(default=None, metadata=LOCAL)  # the Layouts, rebuilt off the GUI


@dataclass
class DevicesResult:
    devices: list[dict]
    default_backend: str = ""


@dataclass
class PmapResult:
    outputs: list[dict]  # per device: index, device, shape, dtype, preview, values or summary
    devices: int
    wall_time: float
    compile_time: float
    stage: dict | None = None  # the pmap stage's IR, one click from the result
    stdout: str = ""
    function: str = ""  # what ran: pmap(vmap(f))
    note: str = ""  # how the arguments were mapped, when that is not plain from the request


@dataclass
class ValuesResult:
    values: dict  # values.evaluate_stage's plain data: statistics per node id, first problems
    stdout: str = ""


@dataclass
class ShardingResult:
    sharding: dict  # sharding_report.report's plain data (and "what_if" when asked)
    stdout: str = ""


@dataclass
class BenchResult:
    eager: list[float]  # seconds per call, each repetition
    jit: list[float]
    compile_time: float
    stdout: str = ""
    function: str = ""  # what was timed: vmap(f)


@dataclass
class Failure:
    """A request that could not be answered: an error in user code or input."""

    error: ErrorInfo
    stdout: str = ""


MESSAGE_TYPES = {cls.__name__: cls for cls in (
    TraceRequest, LayoutRequest, ExportRequest, ExportResult, DevicesRequest, PmapRequest,
    BenchRequest, ShutdownRequest, Ready, Progress, TraceResult, LayoutResult, DevicesResult,
    PmapResult, BenchResult, ValuesRequest, ValuesResult, RetraceRequest, RetraceResult,
    PrimeRequest, Primed, ShardingRequest, ShardingResult, Failure)}


# which answers each request may get (besides Failure, and Progress while it runs)
ANSWERS: dict[type, tuple[type, ...]] = {
    TraceRequest: (TraceResult,), LayoutRequest: (LayoutResult,), PrimeRequest: (Primed,),
    ExportRequest: (ExportResult,), DevicesRequest: (DevicesResult,),
    PmapRequest: (PmapResult,), BenchRequest: (BenchResult,), ValuesRequest: (ValuesResult,),
    RetraceRequest: (RetraceResult,), ShardingRequest: (ShardingResult,),
    ShutdownRequest: (),
}


def answers(request: Any, response: Any) -> bool:
    """Whether ``response`` is one that ``request`` may get."""
    return isinstance(response, (*ANSWERS.get(type(request), ()), Failure))
