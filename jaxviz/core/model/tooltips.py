"""Hover text and search text for each visible node, from the IR behind it."""

from __future__ import annotations

from .graph_model import GraphModel, VisibleGraph
from .groups import ARGUMENT


def tooltips(model: GraphModel, view: VisibleGraph) -> dict[str, str]:
    """Full params and shapes for equations; kind, name and size for closed groups."""
    tips = {}
    for nid in view.nodes:
        node = model.nodes.get(nid)
        if nid in model.groups and (node is None or nid not in model.open):
            group = model.groups[nid]
            size = f"{group.values:,} {group.primitive}" if group.kind == ARGUMENT \
                else f"{group.equations} equations"
            tips[nid] = f"{group.label}\n{size} — double-click to open"
            continue
        if node is None:
            continue
        lines = [node.text or node.display_name or node.label]
        lines += [f"{p.name}: {p.type}" for p in node.outputs]
        if node.params_full:
            lines.append(node.params_full)
        if any(lit.printed for lit in node.literals):  # the label shows the short form
            lines.append("literals: " + ", ".join(lit.jax_text for lit in node.literals))
        if node.effects:
            lines.append(f"side effect ({', '.join(node.effects)}): runs at every call; jit "
                         f"keeps it")
        if node.unused:
            lines.append("nothing uses its results (JAX prints them as _): jit drops it")
        if node.line:
            lines.append(f"line {node.line}" + (f"  [{node.name_stack}]" if node.name_stack
                                                else ""))
        tips[nid] = "\n".join(lines)
    return tips


def search_texts(model: GraphModel, view: VisibleGraph) -> dict[str, str]:
    """What a search matches: the label, primitive, variable names and shapes."""
    texts = {}
    for nid, vnode in view.nodes.items():
        node = model.nodes.get(nid)
        parts = list(vnode.lines)
        if node is not None:
            parts += [node.primitive, node.label, node.display_name]
            parts += [f"{p.name} {p.type}" for p in node.outputs]
        texts[nid] = " ".join(parts)
    return texts
