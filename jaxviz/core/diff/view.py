"""Diffs drawn: a layout restyled by diff class, a text diff, and the self-contained HTML page.

Colour is never the only marker: each class also has a sign before the label (+ added,
− removed, ~ changed, = unchanged) and its own border.
"""

from __future__ import annotations

import dataclasses
import difflib
import html
import re

from ..ir.provenance import HTML_MARK
from ..layout.engine import CHAR_W, Layout

DIFF_STYLES: dict[str, tuple[str, str, str, str]] = {  # fill, border, dash, sign
    "added": ("#c8f0d8", "#047857", "solid", "+"),
    "removed": ("#fbd0d0", "#b91c1c", "dashed", "−"),
    "changed": ("#fde9b8", "#b45309", "solid", "~"),
    "unchanged": ("#eef0f3", "#9ca3af", "solid", "="),
}
DIFF_NAMES = {"added": "added", "removed": "removed", "changed": "changed (new shapes or params)",
              "unchanged": "unchanged"}


def decorate(layout: Layout, classes: dict[str, str]) -> Layout:
    """A copy of the layout whose equation boxes show their diff class."""
    nodes = {}
    for nid, box in layout.nodes.items():
        cls = classes.get(nid)
        if cls not in DIFF_STYLES or box.kind != "eqn":
            nodes[nid] = box
            continue
        fill, border, dash, sign = DIFF_STYLES[cls]
        lines = [f"{sign} {box.lines[0]}"] + box.lines[1:]
        nodes[nid] = dataclasses.replace(box, fill=fill, border=border, dash=dash,
                                         border_width=2.0, lines=lines, w=box.w + 2 * CHAR_W)
    return dataclasses.replace(layout, nodes=nodes)


_BINDER = re.compile(r"\b([a-z]+):[a-z]+[0-9]*\[")  # "bq:f32[16,1]": bq is a variable


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Lines of a unified diff as (kind, text), kind in " ", "+", "-", "@". Lines are paired
    with their variables' names left out: JAX names variables in order, so one equation more
    renames every later one, and a diff by name would mark unchanged equations removed and
    added, against the graph's own count."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(None, _unnamed(before), _unnamed(after), autojunk=False)
    out = []
    for group in matcher.get_grouped_opcodes(3):
        (_, i1, _, j1, _), (_, _, i2, _, j2) = group[0], group[-1]
        out.append(("@", f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@"))
        for tag, a0, a1, b0, b1 in group:
            if tag == "equal":
                out += [(" ", " " + line) for line in new[b0:b1]]
                continue
            out += [("-", "-" + line) for line in old[a0:a1]]
            out += [("+", "+" + line) for line in new[b0:b1]]
    return out


def _unnamed(text: str) -> list[str]:
    """Each line with the text's variable names written as ``_``."""
    names = set(_BINDER.findall(text))
    if not names:
        return text.splitlines()
    word = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    return [word.sub("_", line) for line in text.splitlines()]


def diff_html(diff, before_svg: bytes, after_svg: bytes, before_text: str, after_text: str
              ) -> str:
    """One self-contained page: summary, counts, legend, the two graphs, the text diff."""
    e = html.escape
    counts = " · ".join(f"<span class='{c}'>{DIFF_STYLES[c][3]} {diff.counts.get(c, 0)} {c}"
                        f"</span>" for c in DIFF_STYLES)
    legend = "".join(f"<span class='chip {c}'>{DIFF_STYLES[c][3]} {DIFF_NAMES[c]}</span>"
                     for c in DIFF_STYLES)
    colours = {"+": "add", "-": "del", "@": "hunk", " ": "ctx"}
    rows = "\n".join(f"<div class='{colours[k]}'>{e(t)}</div>"
                     for k, t in text_diff(before_text, after_text))
    before_svg, after_svg = (svg[svg.find(b"<svg"):] for svg in (before_svg, after_svg))
    css = "".join(f".{c}{{background:{f};border:2px {'dashed' if d == 'dashed' else 'solid'} "
                  f"{b}}}" for c, (f, b, d, _) in DIFF_STYLES.items())
    return f"""<!doctype html>{HTML_MARK}<html><head><meta charset="utf-8">
<title>jaxviz diff: {e(diff.before)} → {e(diff.after)}</title><style>
body{{font-family:system-ui,sans-serif;margin:1.5em;color:#1f2328}}
.sides{{display:flex;gap:1em;align-items:flex-start}} .side{{flex:1;overflow:auto;
border:1px solid #ddd;padding:.5em}} .side svg{{max-width:100%;height:auto}}
.chip{{padding:2px 8px;margin-right:6px;border-radius:4px;font-size:90%}} {css}
pre,.diff{{font-family:'DejaVu Sans Mono',monospace;font-size:12px}}
.diff div{{white-space:pre}} .add{{background:#dcfce7}} .del{{background:#fee2e2}}
.hunk{{color:#6b7280}}
</style></head><body>
<h1>{e(diff.before)} → {e(diff.after)}</h1>
<p>{e(diff.summary)}</p><p>{counts}</p><p>{legend}</p>
<div class="sides"><div class="side"><h2>{e(diff.before)}</h2>{before_svg.decode()}</div>
<div class="side"><h2>{e(diff.after)}</h2>{after_svg.decode()}</div></div>
<h2>jaxpr text diff</h2><div class="diff">{rows}</div>
</body></html>
"""


def joined_pages(pages: list[str]) -> str:
    """Several diff pages as one: the first page's head, then every page's body in turn."""
    if len(pages) == 1:
        return pages[0]
    bodies = [page[page.find("<body>") + 6:page.rfind("</body>")] for page in pages]
    head = pages[0][:pages[0].find("<body>") + 6]
    return head + "<hr>".join(bodies) + "</body></html>"
