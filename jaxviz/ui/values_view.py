"""Run it and see, in the window: *Run → Evaluate on values* runs the stage shown in the
worker, equation by equation (``trace/values.py``); the Details panel then gives the
statistics of a selected equation's results, and *Find first NaN or Inf* opens the groups
around the equation that made it, selects it, shows its line and says it in words; *Compare
values with the stage before* runs two stages on the same values.

A controller the window holds (``window.values``), not a mixin of it: it keeps what its
requests were asked for (find the first NaN, colour by values at launch, the document's
generation), and the evaluation itself lives in the document's device results."""

from __future__ import annotations

import html

from ..core.ir.labels import equation_name
from ..core.value_stats import compared_lines
from ..worker import protocol as p
from .panels import stats_html


class ValuesController:
    """Evaluation requests and their answers, for the window ``w``."""

    def __init__(self, window):
        self.w = window
        self.wanted_first = False  # go to the first NaN once the answer is in
        self.select_after_draw: str | None = None  # the node found, selected once drawn
        self.launch = False  # --find-nan / --color-by values: colour by values when in
        self.generation = -1  # the document's, when the last request went

    def evaluate(self, find_first: bool = False, against: int | str | None = None) -> None:
        """Evaluate the stage shown (a lower or compile stage: the jaxpr stage it came
        from); ``find_first``: then go to the first NaN or Inf; ``against``: another stage
        (or ``"xla"``) run on the same values, and compared."""
        if not self.w.set.stages or not self.w.document.stages_current:
            self.w.statusBar().showMessage(
                "Trace first (Ctrl+Enter): the stage shown is not of the code as it is", 5000
            )
            return
        source, function, args, filename = self.w.devices.source_fields()
        self.wanted_first = find_first
        self.generation = self.w.document.generation
        self.w.statusBar().showMessage("evaluating on values… (Esc cancels)")
        self.w.tracer.submit(
            p.ValuesRequest(
                source=source,
                function=function,
                args=args,
                filename=filename,
                paths=list(self.w.session.paths),
                pipeline=self.w.pipeline.pipeline(),
                stage=self.w.results.device_stage(),
                against=against,
            )
        )

    def compare(self) -> None:
        """Run → Compare values: the stage shown against the one before it (the pair diff
        mode shows), on the same values, per output and per paired equation; a lower or
        compile stage: its jaxpr stage run equation by equation against XLA running it."""
        stage = self.w.results.device_stage()
        if stage != self.w.set.current:
            self.evaluate(against="xla")
        elif self.w.set.current >= 1:
            self.evaluate(against=self.w.set.current - 1)
        else:
            self.w.statusBar().showMessage(
                "Compare values: show a stage after the first (it "
                "is compared with the one before it)",
                8000,
            )

    def find_first_nonfinite(self) -> None:
        self.evaluate(find_first=True)

    def on_result(self, request: p.ValuesRequest, result: p.ValuesResult) -> None:
        if self.generation != self.w.document.generation:
            self.w.statusBar().showMessage("values of code since edited were dropped", 5000)
            return
        values = result.values
        found = values["first_nonfinite"]
        stage = request.stage if request.stage >= 0 else len(self.w.set.stages) - 1
        self.w.document.device_results["values"] = (stage, values)  # gone at an edit
        self.w.xla_view.show(self.w.set.current)  # Colour: values is on offer now
        if self.launch:  # --find-nan, --color-by values
            self.launch, self.w.launch_target = False, stage
            self.w.colour_by.setCurrentIndex(self.w.colour_by.findData("values"))
        going = found and self.wanted_first  # then drawn as it opens
        if self.w.colour_by.currentData() == "values" and not going:
            self.w.drawing.redraw()
        else:
            self.w.graph.set_edge_tooltips(self.edge_tips())
        seeded = " (random values for the abstract arguments)" if values["seeded"] else ""
        if "compared" in values:
            self._show_compared(values["compared"], seeded)
        elif found:
            self.w.statusBar().showMessage(f"First NaN/Inf: {found['words']}{seeded}")
        else:
            zero = values.get("first_all_zero")
            vanished = f"; the gradient first became all zeros: {zero['words']}" if zero else ""
            self.w.statusBar().showMessage(
                f"{values['stage']}: {len(values['equations'])} equations evaluated, no NaN "
                f"or Inf{seeded}{vanished}; select a node for its values",
                15000,
            )
        if found and self.wanted_first:
            self._go_to(request.stage, found["node"], found.get("line"))

    def _show_compared(self, compared: dict, seeded: str) -> None:
        """The comparison in the status bar; its lines in diff mode beside the two graphs
        (against XLA, which diff mode does not show: the status bar only)."""
        lines = compared_lines(compared)
        self.w.diff_panel.show_compared("\n".join(lines), (compared["against"], compared["stage"]))
        rows = compared.get("outputs") or []
        worst = max((r["max_abs"] for r in rows), default=None)
        said = f"largest output difference {worst:.3g}" if worst is not None else lines[0]
        where = (
            ""
            if compared["against"].endswith("XLA program")
            else "; every paired equation in diff mode (Ctrl+D)"
        )
        self.w.statusBar().showMessage(
            f"{compared['stage']} against {compared['against']}: {said}{seeded}{where}"
        )

    def _go_to(self, stage: int, node_id: str, line: int | None) -> None:
        """Show the stage, open the groups around the node, select it, show its line."""
        if self.w.set.current != stage:
            self.w.stage_strip.setCurrentIndex(stage)
        model = self.w.set.models[stage]
        model.open.update(model.ancestors(node_id))
        self.select_after_draw = node_id
        self.w.drawing.request_layout()  # drawn, ``after_draw`` selects it
        if line:
            self.w.editor.show_line(line)

    def after_draw(self) -> None:
        """After a drawing: the edges' hover texts, and the node that Find first NaN asked
        for, selected and in view."""
        self.w.graph.set_edge_tooltips(self.edge_tips())
        node_id, self.select_after_draw = self.select_after_draw, None
        if node_id:
            self.w.selector.select_ir_nodes([node_id])
            self.w.graph.zoom_to_selection()
            self.w.side.setCurrentWidget(self.w.details)  # its values, and what went in

    def of(self, node_id: str) -> list[dict] | None:
        """The statistics of a node's results from the last evaluation of the stage shown."""
        evaluated = self.of_stage(self.w.set.current)
        return evaluated.get(node_id) if evaluated is not None else None

    def problem_at(self, node_id: str) -> dict | None:
        """The first NaN or Inf (else the first huge value) if this node of the stage shown
        made it."""
        if self.of_stage(self.w.set.current) is None:
            return None
        values = self.w.document.device_results["values"][1]
        return next(
            (
                p
                for p in (
                    values["first_nonfinite"],
                    values["first_huge"],
                    values.get("first_all_zero"),
                )
                if p and p["node"] == node_id
            ),
            None,
        )

    def of_stage(self, index: int) -> dict[str, list[dict]] | None:
        """Every equation's statistics, if the last evaluation was of stage ``index`` (a
        compiled stage's nodes are XLA's instructions: none)."""
        evaluated = self.w.document.device_results.get("values")
        if (
            not evaluated
            or not self.w.set.stages
            or evaluated[0] != index
            or self.w.set.stages[index].dialect == "hlo"
        ):
            return None
        return evaluated[1]["equations"]

    def edge_tips(self):
        """``tip(edge)``: an edge's hover text, its variable and type (on a vmap stage, with the
        batch axis marked), the boxes it joins, and what it held in the last evaluation of the
        stage shown."""
        if not self.w.set.stages:
            return lambda edge: ""
        model = self.w.set.models[self.w.set.current]
        evaluated = self.of_stage(self.w.set.current) or {}
        made_by = {
            e.var: (e.src, e.src_port)
            for g in reversed(list(model.graph.walk_graphs()))
            for e in g.edges
        }  # reversed: the outermost producer of a name wins

        batch = self.w.set.batch_axes_of(self.w.set.current)

        def tip(edge) -> str:
            src, port = made_by.get(edge.var, (edge.src, 0))
            axis = batch.of(src, port) if batch is not None else None
            kind = html.escape(axis.marked_type() if axis else edge.type)
            text = (
                f"<b>{html.escape(edge.var)}</b>: {kind}<br>"
                f"from {_box_name(model, edge.src)} to {_box_name(model, edge.dst)}"
            )
            if axis is not None:
                text += f"<br>{html.escape(axis.text())}"
            sharded = self.w.sharding.edge_line(src, port)
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
    return html.escape(
        equation_name(node)
        if node is not None and node.kind == "eqn"
        else (node.display_name or node.label)
        if node is not None
        else nid
    )
