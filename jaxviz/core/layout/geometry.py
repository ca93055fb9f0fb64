"""The layout's types and measures: node, edge and group boxes, the options, text sizes.

Kept apart from ``layout`` (which chooses and runs an engine) so that the engines
(``layout.layered``, ``layout.dot``) and the label placer import these without importing
``layout``, and ``layout`` imports them: no import circle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

from ..ir.graph import gc_paused

if TYPE_CHECKING:  # for the annotations only: the protocol imports this module, the CLI
    # imports the protocol, and the graph model is not needed to carry a layout
    from ..model.graph_model import VisibleGraph, VisibleNode

FONT_PT = 10.0  # the monospace font the app and the exporters draw labels with
CHAR_W = 0.602 * FONT_PT  # DejaVu Sans Mono's advance width, in points
LINE_H = 13.0
PAD_X, PAD_Y = 9.0, 5.0
STUB_W, STUB_H = 34.0, 14.0
NODE_SEP, RANK_SEP = 18.0, 30.0  # points
CLUSTER_PAD, CLUSTER_LABEL_H = 8.0, 16.0


@dataclass
class LayoutOptions:
    rankdir: str = "TB"  # "TB" top to bottom, or "LR" left to right
    edge_labels: bool = True  # draw shape and dtype on edges
    engine: str = "auto"  # "auto" (= "layered"), "layered" or "dot"
    cut_span: int | None = None  # dot only: edges spanning more ranks become stubs (None: never)
    wrap: bool = True  # layered only: a drawing too long for a page is set in columns

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> LayoutOptions:
        """Options as saved; a key that this version no longer has (a session of an older
        one) is left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass
class NodeBox:
    """A node's box, centre (x, y) in points, y growing downwards, with what to draw in it."""

    id: str
    x: float
    y: float
    w: float
    h: float
    kind: str
    lines: list[str]
    shape: str
    fill: str
    border: str
    dash: str
    border_width: float
    cluster: str | None = None
    faded: bool = False  # drawn pale: nothing uses its results


@dataclass
class EdgePath:
    src: str
    dst: str
    var: str
    type: str
    points: list[list[float]]  # polyline from src to dst
    cut: bool = False  # a long edge drawn as two stubs; points then run stub to stub
    stubs: list[list[float]] = field(default_factory=list)  # the two stub centres when cut
    # where its type is written (left-centre of the text), on one edge per variable; None:
    # not written on this edge (another edge of the same variable has it, or no room)
    label_at: list[float] | None = None
    highlight: str = ""  # an overlay's colour for this edge ("" drawn plain): a residual


@dataclass
class ClusterBox:
    id: str
    label: str
    x: float  # top-left corner
    y: float
    w: float
    h: float
    depth: int


@dataclass
class Layout:
    width: float
    height: float
    nodes: dict[str, NodeBox]
    edges: list[EdgePath]
    clusters: list[ClusterBox]
    engine: str = ""
    seconds: float = 0.0
    options: dict = field(default_factory=dict)
    # while laying out only: the columns a long drawing was wrapped into, as [start, end]
    # across the ranks on ``columns_axis``; a group torn by a cut gets a box in each
    columns: list[list[float]] = field(default_factory=list)
    columns_axis: str = "x"
    # an overlay's colours on the boxes (core/export/overlay.py):
    # {"title", "entries": [[text, fill]]}
    overlay: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain data, written out by hand (``asdict`` deep-copies: 0.7 s at 4,600 nodes)."""
        return {"width": self.width, "height": self.height,
                "nodes": {k: dict(b.__dict__) for k, b in self.nodes.items()},
                "edges": [dict(e.__dict__) for e in self.edges],
                "clusters": [dict(c.__dict__) for c in self.clusters],
                "engine": self.engine, "seconds": self.seconds, "options": dict(self.options),
                "overlay": self.overlay}

    @classmethod
    def from_dict(cls, data: dict) -> Layout:
        with gc_paused():
            return cls._from_dict(data)

    @classmethod
    def _from_dict(cls, data: dict) -> Layout:
        return cls(width=data["width"], height=data["height"],
                   nodes={k: NodeBox(**v) for k, v in data["nodes"].items()},
                   edges=[EdgePath(**e) for e in data["edges"]],
                   clusters=[ClusterBox(**c) for c in data["clusters"]],
                   engine=data.get("engine", ""), seconds=data.get("seconds", 0.0),
                   options=data.get("options", {}), overlay=data.get("overlay", {}))


def segment_hits_rect(p, q, r, eps: float = 0.0) -> bool:
    """Liang–Barsky: does segment pq pass through the inside of rect r (shrunk by ``eps``)?"""
    x0, y0, x1, y1 = r[0] + eps, r[1] + eps, r[2] - eps, r[3] - eps
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for num, den in ((p[0] - x0, -dx), (x1 - p[0], dx), (p[1] - y0, -dy), (y1 - p[1], dy)):
        if den == 0:
            if num < 0:
                return False
            continue
        t = num / den
        if den < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def cluster_label_width(label: str) -> float:
    """Points a group's label takes at the top of its box (its font is 10% wider than a
    node's), so that the box can be made at least that wide and the label never spills."""
    return len(label) * CHAR_W * 1.1 + 2 * CLUSTER_PAD


def node_size(node: VisibleNode) -> tuple[float, float]:
    """Width and height in points, from the label's text (measured here, not by graphviz)."""
    chars = max((len(line) for line in node.lines), default=1)
    w = max(chars * CHAR_W + 2 * PAD_X, 44.0)
    h = len(node.lines) * LINE_H + 2 * PAD_Y
    if node.style.shape == "ellipse":
        w, h = w * 1.18 + 6, h * 1.1
    return round(w, 1), round(h, 1)


def box_for(node: VisibleNode, x: float, y: float, w: float, h: float) -> NodeBox:
    s = node.style
    return NodeBox(node.id, round(x, 1), round(y, 1), w, h, node.kind, node.lines, s.shape,
                   s.fill, s.border, s.dash, s.border_width, node.cluster, s.faded)


def split_long_edges(view: VisibleGraph, rank: dict[str, int], cut_span: int | None
                     ) -> tuple[list[int], list[int]]:
    """Indices of the edges drawn whole, and of those cut into stubs."""
    whole, cut = [], []
    for i, e in enumerate(view.edges):
        long = cut_span is not None and abs(rank[e.dst] - rank[e.src]) > cut_span
        (cut if long else whole).append(i)
    return whole, cut
