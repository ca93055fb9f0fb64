"""Run it and see, in the window: *Run → Evaluate on values* runs the stage shown in the
worker, equation by equation (``trace/values.py``); the Details panel then gives the
statistics of a selected equation's results, and *Find first NaN or Inf* opens the groups
around the equation that made it, selects it, shows its line and says it in words. A mixin
of ``MainWindow``, like ``window_results``."""

from __future__ import annotations

import html

from jaxviz.core.ir.labels import equation_name
from jaxviz.core.value_stats import compared_lines

from ..worker import protocol as p
from .panels import stats_html


class ValuesView:
    """Evaluation requests and their answers; mixed into MainWindow."""

    def evaluate_values(self, find_first: bool = False, against: int | str | None = None
                        ) -> None:
        """Evaluate the stage shown (a lower or compile stage: the jaxpr stage it came
        from); ``find_first``: then go to the first NaN or Inf; ``against``: another stage
        (or ``"xla"``) run on the same values, and compared."""
        if not self.set.stages or not self.document.stages_current:
            self.statusBar().showMessage("Trace first (Ctrl+Enter): the stage shown is not of "
                                         "the code as it is", 5000)
            return
        source, function, args, filename = self.devices.source_fields()
        self._values_wanted = find_first
        self._values_generation = self.document.generation
        self.statusBar().showMessage("evaluating on values… (Esc cancels)")
        self.tracer.submit(p.ValuesRequest(source=source, function=function, args=args,
                                           filename=filename, paths=list(self.session.paths),
                                           pipeline=self.pipeline.pipeline(),
                                           stage=self.device_stage(), against=against))

    def compare_values(self) -> None:
        """Run → Compare values: the stage shown against the one before it (the pair diff
        mode shows), on the same values, per output and per paired equation; a lower or
        compile stage: its jaxpr stage run equation by equation against XLA running it."""
        stage = self.device_stage()
        if stage != self.set.current:
            self.evaluate_values(against="xla")
        elif self.set.current >= 1:
            self.evaluate_values(against=self.set.current - 1)
        else:
            self.statusBar().showMessage("Compare values: show a stage after the first (it "
                                         "is compared with the one before it)", 8000)

    def find_first_nonfinite(self) -> None:
        self.evaluate_values(find_first=True)

    def _on_values(self, request: p.ValuesRequest, result: p.ValuesResult) -> None:
        if getattr(self, "_values_generation", None) != self.document.generation:
            self.statusBar().showMessage("values of code since edited were dropped", 5000)
            return
        values = result.values
        found = values["first_nonfinite"]
        stage = request.stage if request.stage >= 0 else len(self.set.stages) - 1
        self.document.device_results["values"] = (stage, values)  # gone at an edit
        self._show_below(self.set.current)  # Colour: values is on offer now
        if getattr(self, "launch_values", False):  # --find-nan
            self.launch_values, self.launch_target = False, stage
            self.colour_by.setCurrentIndex(self.colour_by.findData("values"))
        going = found and getattr(self, "_values_wanted", False)  # then drawn as it opens
        if self.colour_by.currentData() == "values" and not going:
            self.redraw()
        else:
            self.graph.set_edge_tooltips(self.edge_tips())
        seeded = " (random values for the abstract arguments)" if values["seeded"] else ""
        if "compared" in values:
            self._show_compared(values["compared"], seeded)
        elif found:
            self.statusBar().showMessage(f"First NaN/Inf: {found['words']}{seeded}")
        else:
            zero = values.get("first_all_zero")
            vanished = f"; the gradient first became all zeros: {zero['words']}" if zero else ""
            self.statusBar().showMessage(
                f"{values['stage']}: {len(values['equations'])} equations evaluated, no NaN "
                f"or Inf{seeded}{vanished}; select a node for its values", 15000)
        if found and getattr(self, "_values_wanted", False):
            self._go_to(request.stage, found["node"], found.get("line"))

    def _show_compared(self, compared: dict, seeded: str) -> None:
        """The comparison in the status bar; its lines in diff mode beside the two graphs
        (against XLA, which diff mode does not show: the status bar only)."""
        lines = compared_lines(compared)
        self.diff_panel.show_compared("\n".join(lines), (compared["against"], compared["stage"]))
        rows = compared.get("outputs") or []
        worst = max((r["max_abs"] for r in rows), default=None)
        said = f"largest output difference {worst:.3g}" if worst is not None else lines[0]
        where = "" if compared["against"].endswith("XLA program") else \
            "; every paired equation in diff mode (Ctrl+D)"
        self.statusBar().showMessage(f"{compared['stage']} against {compared['against']}: "
                                     f"{said}{seeded}{where}")

    def _go_to(self, stage: int, node_id: str, line: int | None) -> None:
        """Show the stage, open the groups around the node, select it, show its line."""
        if self.set.current != stage:
            self.stage_strip.setCurrentIndex(stage)
        model = self.set.models[stage]
        model.open.update(model.ancestors(node_id))
        self._values_select = node_id
        self._request_layout()  # drawn, ``values_after_draw`` selects it
        if line:
            self.editor.show_line(line)

    def values_after_draw(self) -> None:
        """After a drawing: the edges' hover texts, and the node that Find first NaN asked
        for, selected and in view."""
        self.graph.set_edge_tooltips(self.edge_tips())
        node_id, self._values_select = getattr(self, "_values_select", None), None
        if node_id:
            self._select_ir_nodes([node_id])
            self.graph.zoom_to_selection()
            self.side.setCurrentWidget(self.details)  # its values, and what went in

    def values_of(self, node_id: str) -> list[dict] | None:
        """The statistics of a node's results from the last evaluation of the stage shown."""
        evaluated = self.values_of_stage(self.set.current)
        return evaluated.get(node_id) if evaluated is not None else None

    def problem_at(self, node_id: str) -> dict | None:
        """The first NaN or Inf (else the first huge value) if this node of the stage shown
        made it."""
        if self.values_of_stage(self.set.current) is None:
            return None
        values = self.document.device_results["values"][1]
        return next((p for p in (values["first_nonfinite"], values["first_huge"],
                                 values.get("first_all_zero")) if p and p["node"] == node_id),
                    None)

    def values_of_stage(self, index: int) -> dict[str, list[dict]] | None:
        """Every equation's statistics, if the last evaluation was of stage ``index`` (a
        compiled stage's nodes are XLA's instructions: none)."""
        evaluated = self.document.device_results.get("values")
        if not evaluated or not self.set.stages or evaluated[0] != index \
                or self.set.stages[index].dialect == "hlo":
            return None
        return evaluated[1]["equations"]

    def edge_tips(self):
        """``tip(edge)``: an edge's hover text, its variable and type (on a vmap stage, with the
        batch axis marked), the boxes it joins, and what it held in the last evaluation of the
        stage shown."""
        if not self.set.stages:
            return lambda edge: ""
        model = self.set.models[self.set.current]
        evaluated = self.values_of_stage(self.set.current) or {}
        made_by = {e.var: (e.src, e.src_port) for g in reversed(list(model.graph.walk_graphs()))
                   for e in g.edges}  # reversed: the outermost producer of a name wins

        batch = self.set.batch_axes_of(self.set.current)

        def tip(edge) -> str:
            src, port = made_by.get(edge.var, (edge.src, 0))
            axis = batch.of(src, port) if batch is not None else None
            kind = html.escape(axis.marked_type() if axis else edge.type)
            text = f"<b>{html.escape(edge.var)}</b>: {kind}<br>" \
                   f"from {_box_name(model, edge.src)} to {_box_name(model, edge.dst)}"
            if axis is not None:
                text += f"<br>{html.escape(axis.text())}"
            sharded = self.sharding.edge_line(src, port)
            if sharded:
                text += f"<br>{sharded}"
            stats = evaluated.get(src)
            if stats and port < len(stats):
                text += "<br>" + stats_html(stats[port])
            return text
        return tip


def _box_name(model, nid: str) -> str:
    if nid in model.groups:
        return html.escape(model.groups[nid].label)
    node = model.nodes.get(nid)
    return html.escape(equation_name(node) if node is not None and node.kind == "eqn"
                       else (node.display_name or node.label) if node is not None else nid)
