"""Export a laid-out graph: DOT, SVG, PNG, PDF and JSON, written atomically.

The picture is the app's: the DOT we write carries every position from our layout (nodes,
edge routes, stubs of cut edges, cluster boxes), and graphviz's ``nop2`` engine renders it
without moving anything. User text (names, scopes, params) is escaped once, in ``quote``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path

from ... import __version__
from ..ir.provenance import DOT_MARK, is_previous_export, mark_pdf, mark_png, mark_svg
from ..layout.engine import FONT_PT, Layout
from ..layout.labels import LABEL_CHAR_W
from ..model.graph_model import one_line
from ..model.styles import (
    CUT_EDGE_COLOR,
    EDGE_COLOR,
    FADED_ALPHA,
    TEXT_COLOR,
    legend_entries,
)
from .files import FileError as ExportError
from .files import check_target, write_atomic

FORMATS = ("png", "svg", "pdf", "dot", "json")
SUFFIXES = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".dot": "dot", ".gv": "dot",
            ".json": "json"}
FONT = "DejaVu Sans Mono"
LEGEND_W = 300.0


def quote(text: str) -> str:
    """A DOT double-quoted string that graphviz draws as ``text``, character for character.

    Backslashes are doubled (graphviz reads ``\\n``, ``\\l``, ``\\N`` as escapes) and ``&`` is
    written ``&amp;`` (graphviz reads ``&name;`` as an entity).
    """
    text = text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r", "").replace("\n", "\\n") + '"'


def format_for(path: Path, given: str | None = None) -> str:
    """The format asked for, else the one the suffix names."""
    if given:
        if given not in FORMATS:
            raise ExportError(f"unknown format {given!r}; choose one of {', '.join(FORMATS)}")
        return given
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ExportError(f"cannot tell the format from {path.name!r}: use a suffix "
                          f"({', '.join(SUFFIXES)}) or --format")
    return fmt


ARROW = 6.0  # points: graphviz draws the arrowhead from the spline's end to the tip


def _spline(points: list[list[float]], height: float) -> str:
    """A polyline as a graphviz B-spline (straight segments), y flipped, arrow at the end."""
    pts = [(x, height - y) for x, y in points]
    if len(pts) < 2:
        return ""
    tip = pts[-1]
    (ax, ay), (bx, by) = pts[-2], pts[-1]
    length = max(((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5, 1e-6)
    back = min(ARROW, length * 0.5) / length
    pts[-1] = (bx - (bx - ax) * back, by - (by - ay) * back)
    ctrl = [pts[0]]
    for a, b in zip(pts, pts[1:]):
        ctrl += [a, b]  # a straight segment as a degenerate cubic
        ctrl.append(b)
    body = " ".join(f"{x:.1f},{y:.1f}" for x, y in ctrl[: 1 + 3 * (len(pts) - 1)])
    return f"e,{tip[0]:.1f},{tip[1]:.1f} {body}"


def _node_stmt(name: str, box, height: float) -> str:
    style = ["filled"] + (["rounded"] if box.shape in ("box", "group", "output") else []) \
        + (["dashed"] if box.dash == "dashed" else [])
    shape = "ellipse" if box.shape == "ellipse" else "box"
    extra = " peripheries=2" if box.shape == "output" else ""
    alpha = f"{round(FADED_ALPHA * 255):02x}" if getattr(box, "faded", False) else ""
    if alpha:  # nothing uses its results: drawn pale, as in the app
        extra += f" fontcolor=\"{TEXT_COLOR}{alpha}\""
    attrs = (f"pos=\"{box.x:.1f},{height - box.y:.1f}\" width={box.w / 72:.3f} "
             f"height={box.h / 72:.3f} shape={shape} style=\"{','.join(style)}\" "
             f"fillcolor=\"{box.fill}{alpha}\" color=\"{box.border}{alpha}\" "
             f"penwidth={box.border_width} "
             f"label={quote(chr(10).join(box.lines))} id={quote(box.id)} "
             f"class=\"jaxviz-{box.kind}\"{extra}")
    return f"{name} [{attrs}];"


def _edge_stmts(layout: Layout, names: dict[str, str], labels: bool) -> list[str]:
    h = layout.height
    out = []
    for k, e in enumerate(layout.edges):
        src, dst = names[e.src], names[e.dst]
        label = _edge_label(e, h) if labels else ""
        if not e.cut:
            style = f' color="{e.highlight}" penwidth=2.2' if e.highlight else ""
            out += _whole_edge(src, dst, e.points, h, label, style)
            continue
        (sx, sy), (tx, ty) = e.stubs
        var = quote(f"↓ {e.var}")
        for stub, (x, y) in ((f"so{k}", (sx, sy)), (f"si{k}", (tx, ty))):
            out.append(f"{stub} [pos=\"{x:.1f},{h - y:.1f}\" shape=plain fixedsize=false "
                       f"label={var} "
                       f"fontcolor=\"{CUT_EDGE_COLOR}\" class=\"jaxviz-stub\"];")
        out.append(f"{src} -> so{k} [pos=\"{_spline([e.points[0], e.stubs[0]], h)}\" "
                   f"style=dashed color=\"{CUT_EDGE_COLOR}\"];")
        out.append(f"si{k} -> {dst} [pos=\"{_spline([e.stubs[1], e.points[-1]], h)}\" "
                   f"style=dashed color=\"{CUT_EDGE_COLOR}\"{label}];")
    return out


MAX_POINTS = 250  # per DOT edge: 3 control points of ~18 characters each, and graphviz
# reads quoted strings of up to 16,384 characters


def _whole_edge(src: str, dst: str, points: list, height: float, label: str,
                style: str = "") -> list[str]:
    """One edge, or for a very long route several in a row (the arrow on the last): each
    ``pos`` stays under graphviz's limit on a quoted string. ``style``: an overlay's colour."""
    chunks = [points[i:i + MAX_POINTS + 1] for i in range(0, len(points) - 1, MAX_POINTS)]
    stmts = [f"{src} -> {dst} [pos=\"{_plain_spline(chunk, height)}\" arrowhead=none{style}];"
             for chunk in chunks[:-1]]
    return stmts + [f"{src} -> {dst} [pos=\"{_spline(chunks[-1], height)}\"{label}{style}];"]


def _plain_spline(points: list, height: float) -> str:
    """A polyline as a graphviz B-spline with no arrow."""
    pts = [(x, height - y) for x, y in points]
    ctrl = [pts[0]]
    for a, b in zip(pts, pts[1:]):
        ctrl += [a, b, b]
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in ctrl[: 1 + 3 * (len(pts) - 1)])


def _edge_label(edge, height: float) -> str:
    """The type where the layout placed it (graphviz centres ``lp``: shifted by half)."""
    if edge.label_at is None or not edge.type:
        return ""
    x = edge.label_at[0] + len(edge.type) * LABEL_CHAR_W / 2
    return f" label={quote(edge.type)} lp=\"{x:.1f},{height - edge.label_at[1]:.1f}\""


def _cluster_blocks(layout: Layout, names: dict[str, str]) -> list[str]:
    """Clusters as nested subgraphs with the boxes our layout gave them."""
    h = layout.height
    boxes = {c.id: c for c in layout.clusters}
    parent_of = {}
    for c in layout.clusters:  # the nearest enclosing cluster, by containment
        enclosing = [o for o in layout.clusters if o.depth < c.depth and o.x <= c.x
                     and o.y <= c.y and o.x + o.w >= c.x + c.w and o.y + o.h >= c.y + c.h]
        parent_of[c.id] = max(enclosing, key=lambda o: o.depth).id if enclosing else None
    members: dict[str | None, list[str]] = {}
    for nid, box in layout.nodes.items():
        members.setdefault(box.cluster if box.cluster in boxes else None, []).append(names[nid])

    def block(cid: str, index: int) -> list[str]:
        c = boxes[cid]
        head = (f"subgraph cluster_{index} {{ graph [bb=\"{c.x:.1f},{h - c.y - c.h:.1f},"
                f"{c.x + c.w:.1f},{h - c.y:.1f}\" label={quote(one_line(c.label))} labeljust=l "
                f"lp=\"{c.x + 6 + len(c.label) * 3.3:.1f},{h - c.y - 9:.1f}\" "
                f"style=\"rounded,filled\" fillcolor=\"#f6f2fd\" color=\"#b9a6dc\"];")
        inner = [f"{n};" for n in members.get(cid, [])]
        for child in [k for k, p in parent_of.items() if p == cid]:
            inner += block(child, list(boxes).index(child))
        return [head, *inner, "}"]

    lines = []
    for cid in [k for k, p in parent_of.items() if p is None]:
        lines += block(cid, list(boxes).index(cid))
    return lines


def _legend_row(text: str, style) -> str:
    dashed = ' STYLE="dashed"' if style.dash == "dashed" else ""
    safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    alpha = f"{round(FADED_ALPHA * 255):02x}" if style.faded else ""
    return (f'<TR><TD WIDTH="18" BGCOLOR="{style.fill}{alpha}" COLOR="{style.border}{alpha}" '
            f'BORDER="1"{dashed}></TD><TD ALIGN="LEFT">{safe}</TD></TR>')


def legend_height(entries: list) -> float:
    return len(entries) * 19.0 + 8


def _legend(layout: Layout, entries: list) -> str:
    """The legend beside the drawing, on its right, never over it."""
    rows = "".join(_legend_row(text, s) for text, s in entries)
    table = f'<<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="2">{rows}</TABLE>>'
    x, y = layout.width + LEGEND_W / 2, layout.height - 12 - legend_height(entries) / 2
    return (f"legend [pos=\"{x:.1f},{y:.1f}\" shape=plain label={table} "
            f"fixedsize=false fontsize=9 class=\"jaxviz-legend\"];")


def display_dot(layout: Layout, title: str = "", edge_labels: bool = True,
                legend: bool = True) -> str:
    """DOT carrying the whole picture: reparses with graphviz, renders with ``nop2``."""
    names = {nid: f"n{i}" for i, nid in enumerate(layout.nodes)}
    title = one_line(title)
    entries = legend_entries(layout.nodes.values(), overlay=layout.overlay) if legend else []
    width = layout.width + (LEGEND_W if legend else 0)
    if legend and layout.height < legend_height(entries) + 24:  # room beside for the legend
        layout = dataclasses.replace(layout, height=legend_height(entries) + 24)
    head = [f"digraph {quote(title or 'jaxviz')} {{",
            f"graph [bb=\"0,0,{width:.1f},{layout.height:.1f}\" fontname={quote(FONT)} "
            f"fontsize=10 outputorder=edgesfirst pad=0.2 label={quote(title)} labelloc=t];",
            f"node [fontname={quote(FONT)} fontsize={FONT_PT:g} fontcolor=\"{TEXT_COLOR}\" "
            f"fixedsize=shape margin=0];",
            f"edge [fontname={quote(FONT)} fontsize=8 color=\"{EDGE_COLOR}\" "
            f"fontcolor=\"{EDGE_COLOR}\" arrowsize=0.6];"]
    body = [_node_stmt(names[nid], box, layout.height) for nid, box in layout.nodes.items()]
    body += _cluster_blocks(layout, names)
    body += _edge_stmts(layout, names, edge_labels)
    if legend:
        body.append(_legend(layout, entries))
    return "\n".join(head + body + ["}"]) + "\n"


def render(dot: str, fmt: str, dpi: float | None = None) -> bytes:
    """SVG, PNG or PDF bytes of a display DOT, positions kept as they are."""
    import pygraphviz

    graph = pygraphviz.AGraph(string=dot)
    args = f"-Gdpi={dpi:g}" if dpi and fmt == "png" else ""
    return graph.draw(format=fmt, prog="nop2", args=args)


def export_bytes(layout: Layout, stage: dict, fmt: str, dpi: float | None = None,
                 edge_labels: bool = True, legend: bool = True) -> bytes:
    """The file's content in any of FORMATS."""
    if fmt == "json":
        return json.dumps({"generator": f"jaxviz {__version__}", "stage": stage,
                           "layout": layout.to_dict()}, indent=1).encode()
    dot = display_dot(layout, stage.get("title", ""), edge_labels, legend)
    if fmt == "dot":
        return f"{DOT_MARK}\n{dot}".encode()
    if fmt == "png":
        width = layout.width + (LEGEND_W if legend else 0)
        dpi = dpi or default_dpi(width, layout.height)
        check_png_size(width, layout.height, dpi)
    data = render(dot, fmt, dpi)
    return {"png": mark_png, "pdf": mark_pdf, "svg": mark_svg}.get(fmt, bytes)(data)


def chosen_stages(spec: str, count: int) -> list[int]:
    """``--stage``: an index (negative from the end), ``last`` or ``all``."""
    if spec == "all":
        return list(range(count))
    if spec == "last":
        return [count - 1]
    try:
        index = int(spec)
    except ValueError:
        index = None
    if index is None or not -count <= index < count:
        raise ExportError(f"--stage {spec!r}: give an index from 0 to {count - 1}, 'last' or "
                          f"'all'")
    return [index % count]


def numbered(path: Path, index: int) -> Path:
    """``OUT_3.png`` for stage 3 of ``--stage all``."""
    return path.with_name(f"{path.stem}_{index}{path.suffix}")


MAX_PNG_SIDE = 32_767  # pixels: cairo's limit
MAX_PNG_PIXELS = 250_000_000  # about 1 GB of memory while rendering


DEFAULT_DPI = 144.0  # twice the app's own size: sharp on a high-density screen...
PNG_BUDGET = 8_000_000  # ...while the PNG stays under this many pixels
MIN_DEFAULT_DPI = 72.0  # a bigger drawing gets less, never below the app's own size


def default_dpi(width_pt: float, height_pt: float) -> float:
    """The resolution of a PNG when none is asked for: DEFAULT_DPI, lowered for a drawing so
    big that its PNG would pass PNG_BUDGET pixels (rendering and compressing a 13-megapixel
    PNG of a 12-block transformer grad took 0.38 s, half the whole export), never below
    MIN_DEFAULT_DPI, where labels are as big as in the app. ``--dpi`` gives any other."""
    pixels_at_72 = max(width_pt * height_pt, 1.0)
    fits = 72.0 * (PNG_BUDGET / pixels_at_72) ** 0.5
    return round(max(MIN_DEFAULT_DPI, min(DEFAULT_DPI, fits)), 1)


def check_png_size(width_pt: float, height_pt: float, dpi: float | None) -> None:
    """Refuse a PNG too large to render, saying which resolution would fit, or to use SVG."""
    scale = (dpi or 96.0) / 72.0
    w, h = width_pt * scale, height_pt * scale
    if max(w, h) <= MAX_PNG_SIDE and w * h <= MAX_PNG_PIXELS:
        return
    fit = min(MAX_PNG_SIDE / max(width_pt, height_pt),
              (MAX_PNG_PIXELS / max(width_pt * height_pt, 1.0)) ** 0.5) * 72.0
    raise ExportError(f"the PNG would be {w:,.0f} × {h:,.0f} pixels, too large to render; "
                      f"export SVG or PDF (they scale without limit), or lower --dpi to "
                      f"{max(int(fit), 1)} or less")


def check_export_target(path: Path, fmt: str, inputs: Iterable[Path] = (),
                        force: bool = False) -> None:
    """Refuse (ExportError) a path whose file is not an earlier export in ``fmt``."""
    check_target(path, lambda p: is_previous_export(p, fmt), inputs, force)


def export_file(layout: Layout, stage: dict, path: Path, fmt: str | None = None,
                dpi: float | None = None, edge_labels: bool = True,
                inputs: Iterable[Path] = (), force: bool = False) -> Path:
    """Render and write one stage's graph; the format follows the suffix unless given. A file
    already at ``path`` is replaced only when it is an earlier export, or with ``force``."""
    path = Path(path)
    fmt = format_for(path, fmt)
    check_export_target(path, fmt, inputs, force)
    data = export_bytes(layout, stage, fmt, dpi, edge_labels)
    return write_atomic(path, data)
