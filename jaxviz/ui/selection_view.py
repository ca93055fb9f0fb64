"""The main window's selection: a node picked in the graph, the editor or the jaxpr text is
shown in the other two and in the details panel; search, and the groups it opens.

A controller the window holds (``window.selector``), not a mixin of it; what is selected
lives in the document (``document.selection``)."""

from __future__ import annotations

from ..core.ir.graph import EQN


class SelectionController:
    """Selection kept in step across graph, editor, jaxpr text and details, for the window
    ``w``."""

    def __init__(self, window):
        self.w = window

    # --- selection ------------------------------------------------------------------------

    def on_nodes_selected(self, ids: list[str]) -> None:
        if self.w.first_view is not None:  # the drawing is ahead of its stages: wait for them
            return
        self.w.document.selection = list(ids)
        if not ids or not self.w.set.stages:
            self.w.details.show_node(None)
            self.w.editor.show_line(None)
            return
        nodes = self.w.set.nodes[self.w.set.current]
        node = nodes.get(ids[0])
        if node is None:  # a closed group
            group = self.w.set.models[self.w.set.current].groups.get(ids[0])
            self.w.details.show_node(
                None,
                f"{group.label}: {group.equations} equations — double-click to open"
                if group
                else "",
            )
            return
        self.w.details.show_node(
            node,
            values=self.w.values.of(node.id),
            problem=self.w.values.problem_at(node.id),
            more=self.w.sharding.details_html(node.id),
        )
        self.w.editor.show_line(node.line, node.column)
        if len(ids) == 1 and node.kind == EQN:
            self.w.xla_view.show_fusion_mates(node.id)
        lines = [nodes[i].text_line for i in ids if i in nodes and nodes[i].text_line is not None]
        self.w.jaxpr.show_lines(lines)

    def select_ir_nodes(self, ids: list[str]) -> None:
        model = self.w.set.models[self.w.set.current]
        visible = list(dict.fromkeys(model.representative(i) for i in ids))
        self.w.graph.select_nodes(visible)
        nodes = self.w.set.nodes[self.w.set.current]
        if ids:
            self.w.details.show_node(
                nodes[ids[0]],
                values=self.w.values.of(ids[0]),
                problem=self.w.values.problem_at(ids[0]),
            )

    def on_editor_line(self, line: int) -> None:
        if not self.w.set.stages:
            return
        nodes = self.w.set.nodes[self.w.set.current]
        hits = [n.id for n in nodes.values() if n.kind == EQN and n.line == line]
        self.select_ir_nodes(hits)
        self.w.jaxpr.show_lines(
            [nodes[i].text_line for i in hits if nodes[i].text_line is not None]
        )

    def on_jaxpr_line(self, line: int) -> None:
        if not self.w.set.stages:
            return
        nodes = self.w.set.nodes[self.w.set.current]
        hits = [n.id for n in nodes.values() if n.text_line == line]
        self.select_ir_nodes(hits)
        if hits and nodes[hits[0]].line:
            self.w.editor.show_line(nodes[hits[0]].line)

    def on_search(self, text: str) -> None:
        if self.w.first_view is not None:  # searched again once the stages come (``_draw``)
            return
        count = self.w.graph.search(text)
        hidden = self.hidden_matches(text)
        words = f"{count} match{'es' if count != 1 else ''}" if text else ""
        if hidden:  # short beside the box, which must keep its room; the rest in the tooltip
            words += f" +{len(hidden)} closed"
        self.w.search_count.setText(words)
        self.w.search_count.setToolTip(
            f"{len(hidden)} more in closed groups: Enter opens them" if hidden else ""
        )

    def hidden_matches(self, text: str) -> list[str]:
        """Equations matching the search that closed groups hide: search covers them all."""
        needle = text.strip().lower()
        if not needle or not self.w.set.stages:
            return []
        model = self.w.set.models[self.w.set.current]
        return [
            n.id
            for n in self.w.set.nodes[self.w.set.current].values()
            if n.kind == EQN and needle in _search_text(n) and model.representative(n.id) != n.id
        ]

    def search_step(self) -> None:
        """Enter in the search box: the next match, or first open the groups that hide one."""
        hidden = self.hidden_matches(self.w.search.text())
        if hidden and not self.w.graph.matches:
            model = self.w.set.models[self.w.set.current]
            for gid in model.ancestors(hidden[0]):
                model.open.add(gid)
            self.w.drawing.request_layout()  # drawn, the search runs again and finds it
            return
        self.w.graph.next_match(1)

    def close_all_groups(self) -> None:
        if self.w.set.models:
            self.w.set.models[self.w.set.current].open = set()
            self.w.drawing.request_layout()


def _search_text(node) -> str:
    parts = [node.primitive, node.label, node.display_name, node.params_short]
    parts += [f"{p.name} {p.type}" for p in node.outputs]
    return " ".join(parts).lower()
