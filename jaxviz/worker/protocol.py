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
    layout: dict | None = None  # LayoutOptions as a dict; None: IR only
    expand_all: bool = False  # lay out with every group open
    layout_last_only: bool = False  # lay out only the last stage (the app: the rest on demand)


@dataclass
class LayoutRequest:
    """Lay out graph models' visible graphs (a group opened or closed, a stage shown)."""

    models: list[dict]  # GraphModel states: the stage IR and the open groups
    options: dict = field(default_factory=dict)
    stages: list[int] = field(default_factory=list)  # which stages they are, echoed back


@dataclass
class ExportRequest:
    """Render laid-out stages to files (in a worker: graphviz holds the GIL while it works)."""

    items: list[dict]  # each {"layout": Layout dict, "stage": Stage dict, "path": str}
    format: str | None = None
    dpi: float | None = None
    edge_labels: bool = True


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
    mode: str = "split"  # "split" the leading axis, "replicate", or "as-is" (already has it)
    axis_name: str = "i"
    devices: int | None = None  # how many devices; None: as many as the inputs need


@dataclass
class BenchRequest:
    """Time the function eagerly and under jit."""

    source: str
    function: str
    args: str
    filename: str = "<editor>"
    repeats: int = 7


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
class TraceResult:
    stages: list[dict]  # core.ir.Stage dicts, in pipeline order
    layouts: list[dict | None] = field(default_factory=list)  # Layout dicts per stage (None:
    # not laid out yet, see layout_last_only)
    error: dict | None = None  # ErrorInfo of the first stage that failed; stages before it stay
    stdout: str = ""


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


@dataclass
class BenchResult:
    eager: list[float]  # seconds per call, each repetition
    jit: list[float]
    compile_time: float
    stdout: str = ""


@dataclass
class Failure:
    """A request that could not be answered: an error in user code or input."""

    error: dict  # core.errors.ErrorInfo as a dict
    stdout: str = ""


MESSAGE_TYPES = {cls.__name__: cls for cls in (
    TraceRequest, LayoutRequest, ExportRequest, ExportResult, DevicesRequest, PmapRequest,
    BenchRequest, ShutdownRequest, Ready, Progress, TraceResult, LayoutResult, DevicesResult,
    PmapResult, BenchResult, Failure)}


def encode(message: Any, request_id: int = 0) -> bytes:
    """One line of JSON, newline-terminated. Bodies are plain data already: no deep copy."""
    fields_ = {f.name: getattr(message, f.name) for f in fields(message)}
    body = {"type": type(message).__name__, "id": request_id, "body": fields_}
    with gc_paused():
        return json.dumps(body, separators=(",", ":"), allow_nan=True).encode() + b"\n"


def decode(line: bytes) -> tuple[Any, int]:
    """The message and its request id; unknown body keys are ignored for forward compatibility."""
    with gc_paused():
        data = json.loads(line)
    cls = MESSAGE_TYPES[data["type"]]
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data["body"].items() if k in known}), data.get("id", 0)
