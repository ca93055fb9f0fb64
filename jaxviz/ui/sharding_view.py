"""Run → Shardings on the edges: the pipeline's jit stage compiled over a mesh in the worker
(the report ``jaxviz sharding`` prints, ``trace/sharding.py``), then each edge's sharding in
its hover text, and a selected equation's device grid in Details, as
``jax.debug.visualize_array_sharding`` draws it.

A controller the window holds, not a mixin of it: it keeps the mesh last asked for, and the
report lives in the document's device results (an edit drops it, as it drops values).
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import QInputDialog

from ..core.xla.mesh import MeshAxes, axes_text, device_grid
from ..worker import protocol as p


class ShardingController:
    def __init__(self, window):
        self.window = window
        self.mesh_text = ""  # the last mesh asked for ("": the program's own)
        self.generation = -1  # the document's, when the last request went
        self._index: tuple = (None, {})  # (report, its edges by (node, port))

    def ask(self) -> None:
        """Ask for the mesh, then compile over it."""
        w = self.window
        if not w.set.stages or not w.document.stages_current:
            w.statusBar().showMessage("Trace first (Ctrl+Enter): the stages shown are not of "
                                      "the code as it is", 5000)
            return
        text, ok = QInputDialog.getText(
            w, "Shardings on the edges", "Mesh, e.g. data=4,model=2 (empty: the mesh your "
            "program's own shardings or shard_map use):", text=self.mesh_text)
        if ok:
            self.request(text.strip())

    def request(self, mesh: str) -> None:
        w = self.window
        self.mesh_text, self.generation = mesh, w.document.generation
        source, function, args, filename = w.devices.source_fields()
        w.statusBar().showMessage("compiling over the mesh… (Esc cancels)")
        w.tracer.submit(p.ShardingRequest(source=source, function=function, args=args,
                                           filename=filename, paths=list(w.session.paths),
                                           pipeline=w.pipeline.pipeline(), mesh=mesh))

    def on_result(self, result: p.ShardingResult) -> None:
        """Keep the report for its stage, say what was found, show that stage."""
        w, report = self.window, result.sharding
        if self.generation != w.document.generation:
            w.statusBar().showMessage("shardings of code since edited were dropped", 5000)
            return
        index = next((i for i, s in enumerate(w.set.stages) if s.title == report["stage"]),
                     None)
        w.document.device_results["sharding"] = (index, report)
        moved = sum(c["bytes"] for c in report["collectives"])
        mesh = MeshAxes(report["mesh"]["names"], report["mesh"]["sizes"]).text()
        w.statusBar().showMessage(
            f"{report['stage']} over {mesh}: {len(report['collectives'])} "
            f"collective{'' if len(report['collectives']) == 1 else 's'}, "
            f"{moved:,} B per device; hover an edge for its sharding, select an equation "
            "for its device grid")
        if index is not None and index != w.set.current:
            w.stage_strip.setCurrentIndex(index)
        else:
            w.graph.set_edge_tooltips(w.values.edge_tips())

    def report(self) -> dict | None:
        """The report, if it is of the stage shown."""
        w = self.window
        found = w.document.device_results.get("sharding")
        return found[1] if found and found[0] == w.set.current else None

    def edge_of(self, node_id: str, port: int) -> dict | None:
        report = self.report()
        if report is None:
            return None
        if self._index[0] is not report:  # indexed once: every hovered edge looks one up
            self._index = (report, {(e["node"], e["port"]): e for e in report["edges"]})
        return self._index[1].get((node_id, port))

    def edge_line(self, node_id: str, port: int) -> str:
        """``sharding: f32[32,64] {data, –}, as asked`` for an edge's hover text."""
        edge = self.edge_of(node_id, port)
        if edge is None:
            return ""
        text = f"sharding: {edge['text']}"
        if edge.get("asked") is not None:
            asked = axes_text([tuple(d) for d in edge["asked"]])
            text += ", as asked" if edge.get("kept") else f" (asked {asked})"
        return html.escape(text)

    def details_html(self, node_id: str) -> str:
        """Each result's sharding and the devices that hold each of its tiles."""
        report = self.report()
        if report is None:
            return ""
        mesh = MeshAxes(report["mesh"]["names"], report["mesh"]["sizes"])
        parts = [f"<p>{self.edge_line(e['node'], e['port'])}</p>" + _grid_html(e, mesh)
                 for e in report["edges"] if e["node"] == node_id]
        return "<h4 style='margin-bottom:2px'>Sharding</h4>" + "".join(parts) if parts else ""


def _grid_html(edge: dict, mesh: MeshAxes) -> str:
    """A table of tiles (rows: the first dimension's, columns: the second's), each naming the
    devices that hold it."""
    if edge.get("axes") is None:
        return ""
    grid = device_grid(edge["axes"], mesh)
    beyond = "" if not any(edge["axes"][2:]) else \
        "<br>(its dimensions past the second are split too: their tiles share a cell here)"
    shade = ["#dbeafe", "#fde68a", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa", "#a5f3fc",
             "#e5e7eb"]
    rows = "".join("<tr>" + "".join(
        f"<td style='background:{shade[(r * len(row) + c) % len(shade)]};padding:2px 6px'>"
        f"{', '.join(str(d) for d in cell)}</td>" for c, cell in enumerate(row)) + "</tr>"
        for r, row in enumerate(grid[:32]))
    more = f"<br>(the first 32 of {len(grid)} rows of tiles)" if len(grid) > 32 else ""
    return f"<table cellspacing='1'>{rows}</table>{more}{beyond}"
