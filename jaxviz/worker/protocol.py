"""The worker protocol: typed request and response dataclasses, and their encoding.

One message is one line of JSON: ``{"type": <class name>, "id": <request id>, "body": {...}}``.
It travels on a channel of its own (file descriptors the worker keeps private), so nothing the
user's code prints can ever be mistaken for a message. Bodies hold plain JSON data: graph IR and
layouts travel as the dicts ``jaxviz.core`` reads back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from jaxviz.core.ir import gc_paused

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
    layout: dict | None = None  # LayoutOptions as a dict; None: IR only
    expand_all: bool = False  # lay out with every group open
    layout_last_only: bool = False  # lay out only the last stage (the app: the rest on demand)
    # write files in the worker, inside the request's time limit: {"stage": "last" | "all" |
    # "K", "path", "format", "dpi", "edge_labels", "force", "inputs"}; the answer then carries
    # the paths written and the stages' titles only (no IR travels back)
    export: dict | None = None


@dataclass
class LayoutRequest:
    """Lay out graph models' visible graphs (a group opened or closed, a stage shown)."""

    # per stage: {"key": the stage's graph key, "open": the open groups, "graph": the IR, only
    # the first time this worker sees the key (it keeps the graph: a toggle sends a few bytes)}
    models: list[dict]
    options: dict = field(default_factory=dict)
    stages: list[int] = field(default_factory=list)  # which stages they are, echoed back


UNKNOWN_GRAPH = "unknown graph key"  # a layout worker's answer when it lacks a key's graph


@dataclass
class PrimeRequest:
    """Give the layout worker stages' graphs ahead of the first toggle: {"key", "graph"}."""

    models: list[dict]


@dataclass
class Primed:
    keys: list[str]


@dataclass
class ExportRequest:
    """Render laid-out stages to files (in a worker: graphviz holds the GIL while it works)."""

    items: list[dict]  # each {"layout": Layout dict, "stage": Stage dict, "path": str}
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
class Progress:
    """Sent during long requests."""

    message: str
    fraction: float = 0.0


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
    stages: list[dict]  # core.ir.Stage dicts, in pipeline order
    layouts: list[dict | None] = field(default_factory=list)  # Layout dicts per stage (None:
    # not laid out yet, see layout_last_only)
    error: dict | None = None  # ErrorInfo of the first stage that failed; stages before it stay
    stdout: str = ""
    written: list[list[str]] = field(default_factory=list)  # [path, stage title] per export


@dataclass
class LayoutResult:
    layouts: list[dict]
    stages: list[int] = field(default_factory=list)


@dataclass
class DevicesResult:
    devices: list[dict]
    default_backend: str = ""


@dataclass
class PmapResult:
    outputs: list[dict]  # per device: index, device, shape, dtype, preview
    devices: int
    wall_time: float
    compile_time: float
    stage: dict | None = None  # the pmap stage's IR, one click from the result
    stdout: str = ""
    function: str = ""  # what ran: pmap(vmap(f))


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

    error: dict  # core.errors.ErrorInfo as a dict
    stdout: str = ""


MESSAGE_TYPES = {cls.__name__: cls for cls in (
    TraceRequest, LayoutRequest, ExportRequest, ExportResult, DevicesRequest, PmapRequest,
    BenchRequest, ShutdownRequest, Ready, Progress, TraceResult, LayoutResult, DevicesResult,
    PmapResult, BenchResult, RetraceRequest, RetraceResult, PrimeRequest, Primed, Failure)}


CHUNK = 1000  # items of a big list per line


def _big_lists(body: dict) -> list[tuple[list, list]]:
    """(path, list) of the lists worth sending in chunks: the nodes and edges of each stage's
    graph (a TraceResult's stages, a LayoutRequest's or PrimeRequest's models)."""
    out = []
    for field_name in ("stages", "models"):
        for i, item in enumerate(body.get(field_name) or []):
            if not isinstance(item, dict):  # LayoutRequest's stages are indices
                continue
            graph = item.get("graph") or {}
            for key in ("nodes", "edges"):
                if len(graph.get(key, [])) > CHUNK:
                    out.append(([field_name, i, "graph", key], graph[key]))
    return out


def encode(message: Any, request_id: int = 0) -> bytes:
    """JSON lines: one for the message, then one per chunk of its big lists.

    A 26,000-equation stage is ~24 MB of JSON; parsed as one line it would hold the window
    process's GIL for a quarter of a second. In chunks, the reading thread lets go between
    lines. Bodies are plain data already, so nothing is deep-copied.
    """
    fields_ = {f.name: getattr(message, f.name) for f in fields(message)}
    with gc_paused():
        big = _big_lists(fields_)
        if big:
            fields_ = _with_empty(fields_, [path for path, _ in big])
        head = {"type": type(message).__name__, "id": request_id, "body": fields_,
                "parts": sum((len(items) + CHUNK - 1) // CHUNK for _, items in big)}
        lines = [json.dumps(head, separators=(",", ":"), allow_nan=True)]
        for path, items in big:
            for k in range(0, len(items), CHUNK):
                part = {"part": path, "items": items[k:k + CHUNK]}
                lines.append(json.dumps(part, separators=(",", ":"), allow_nan=True))
    return ("\n".join(lines) + "\n").encode()


def _with_empty(body: dict, paths: list[list]) -> dict:
    """A copy of ``body`` with each path's list replaced by [] (copying only along the path)."""
    body = dict(body)
    for path in paths:
        node = body
        for key in path[:-1]:
            child = node[key]
            child = list(child) if isinstance(child, list) else dict(child)
            node[key] = child
            node = child
        node[path[-1]] = []
    return body


def decode_head(line: bytes) -> tuple[dict, int]:
    """The first line of a message, and how many chunk lines follow it."""
    with gc_paused():
        data = json.loads(line)
    return data, data.get("parts", 0)


def add_part(data: dict, line: bytes) -> None:
    """Put one chunk line's items back where they came from."""
    with gc_paused():
        part = json.loads(line)
    target = data["body"]
    for key in part["part"]:
        target = target[key]
    target.extend(part["items"])


def build(data: dict) -> tuple[Any, int]:
    """The message and its request id; unknown body keys are ignored for forward compatibility."""
    cls = MESSAGE_TYPES[data["type"]]
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data["body"].items() if k in known}), data.get("id", 0)


def decode(lines: bytes) -> tuple[Any, int]:
    """A whole message from its lines (the head and its chunks)."""
    head, *parts = lines.rstrip(b"\n").split(b"\n")
    data, _ = decode_head(head)
    for part in parts:
        add_part(data, part)
    return build(data)
