"""The main window below the jaxpr: the XLA tab, the "Colour by" overlays, and fusion-mates.

A controller the window holds (``window.xla_view``), not a mixin of it: selecting an
equation of the stage that was compiled selects every equation XLA fused with it (and, once
the compiled stage is shown, the kernel they run in); a row of the XLA tab selects its
equations.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from ..core.export.overlay import OVERLAYS, available, colour, value_magnitudes, values
from ..core.layout.engine import Layout
from ..core.xla import below
from ..core.xla.fusion_map import fusion_mates

TEXT_TAB = {"jaxpr": "jaxpr", "stablehlo": "StableHLO", "hlo": "HLO"}


class XlaController:
    """Overlays and the XLA tab, for the window ``w``."""

    def __init__(self, window):
        self.w = window
        self.overlay_values: dict[tuple, dict] = {}  # (trace, stage, overlay) → its values
        self.kernel_selected = ""  # the kernel of the equation picked last

    def build(self) -> None:
        from .below_panel import BelowPanel

        self.w.below = BelowPanel()  # its tab is added with the others
        self.w.colour_by = QComboBox(
            toolTip="Colour the graph by what XLA made of each equation or by what it costs"
        )
        for name, text in OVERLAYS.items():
            self.w.colour_by.addItem(f"Colour: {text}", name)
        # as wide as its longest entry would take a third of the graph's column at 1280
        self.w.colour_by.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.w.colour_by.setMinimumContentsLength(20)
        self.w.colour_by.activated.connect(lambda _: self.on_overlay())
        self.w.below.selectNodes.connect(self.select_from_below)
        self.w.below.compileWanted.connect(self.add_compile)

    def on_overlay(self) -> None:
        self.w.below.focus_for(self.w.colour_by.currentData())
        self.w.drawing.redraw()

    def show(self, index: int) -> None:
        """The XLA tab, the overlays on offer and the text tab's name for stage ``index``."""
        stages = self.w.set.stages
        self.w.below.show_stages(stages, index)
        compiled = below.compiled_of(stages)
        self.w.devices.show_compiled_for(
            compiled.title if compiled else "",
            compiled.reference.get("platform", "") if compiled else "",
        )
        offered = available(stages, index) if stages else ["kind"]
        if stages and self.w.values.of_stage(index) is not None:
            offered.append("values")
        model = self.w.colour_by.model()
        for row in range(self.w.colour_by.count()):
            item = model.item(row)
            item.setEnabled(self.w.colour_by.itemData(row) in offered)
        if self.w.colour_by.currentData() not in offered:
            self.w.colour_by.setCurrentIndex(0)
        if stages:
            self.w.side.setTabText(
                self.w.side.indexOf(self.w.jaxpr), TEXT_TAB.get(stages[index].dialect, "jaxpr")
            )

    def overlaid(self, layout: Layout) -> Layout:
        """The layout in the colours of the chosen overlay (its values computed once)."""
        name = self.w.colour_by.currentData()
        index = self.w.set.current
        if name == "values" and self.w.set.stages:
            evaluated = self.w.values.of_stage(index)
            return (
                layout
                if evaluated is None
                else colour(layout, self.w.set.models[index], name, value_magnitudes(evaluated))
            )
        if (
            not self.w.set.stages
            or name == "kind"
            or name not in available(self.w.set.stages, index)
        ):
            return layout
        key = (self.w.set.serial, index, name)
        if key not in self.overlay_values:
            self.overlay_values[key] = values(name, self.w.set.stages, index)
        return colour(layout, self.w.set.models[index], name, self.overlay_values[key])

    def select_from_below(self, ids: list[str]) -> None:
        if self.w.set.stages and ids:
            self.w.selector.select_ir_nodes(
                [i for i in ids if i in self.w.set.nodes[self.w.set.current]]
            )

    def add_compile(self) -> None:
        text = self.w.pipeline.pipeline().strip()
        self.w.pipeline.set_text(f"{text} | compile" if text else "jit | compile")

    def show_fusion_mates(self, node_id: str) -> None:
        """An equation of the compiled stage's source: select what XLA fused with it."""
        stages = self.w.set.stages
        compiled = below.compiled_of(stages)
        if compiled is None or below.analysed_of(stages) is not stages[self.w.set.current]:
            return
        places = below.placements(compiled)
        place = places.get(node_id)
        if place is None:
            return
        self.kernel_selected = place.kernel
        mates = fusion_mates(places, node_id)
        model = self.w.set.models[self.w.set.current]
        self.w.graph.select_nodes(
            list(dict.fromkeys(model.representative(i) for i in mates)), center=False
        )
        where = (
            f"runs in {place.kernel} ({place.kernel_kind}) with {len(mates) - 1} more equations"
            if place.kernel
            else place.status
        )
        self.w.statusBar().showMessage(f"{node_id}: {place.status}, {where}", 8000)

    def select_kernel(self, index: int) -> None:
        """On the compiled stage, select the kernel the last picked equation runs in."""
        if not 0 <= index < len(self.w.set.stages):
            return
        stage = self.w.set.stages[index]
        if stage.dialect != "hlo" or not self.kernel_selected:
            return
        hits = [
            n.id
            for n in self.w.set.nodes[index].values()
            if n.outputs and n.outputs[0].name == self.kernel_selected
        ]
        if hits:
            self.w.graph.select_nodes(hits[:1])

    def apply_launch_view(self) -> None:
        """``--tab`` and ``--color-by``, once the first trace is in."""
        view, self.w.launch_view = getattr(self, "launch_view", None), None
        if not view or not self.w.set.stages:
            return
        tabs = {self.w.side.tabText(i).lower(): i for i in range(self.w.side.count())}
        if view.get("tab") == "collectives":  # the XLA tab's page of them
            self.w.side.setCurrentWidget(self.w.below)
            self.w.below.focus_for("collectives")
        elif view.get("tab"):
            self.w.side.setCurrentIndex(tabs.get(view["tab"], tabs.get("jaxpr", 0)))
        name = view.get("color_by")
        if view.get("find_nan") or name == "values":
            self.w.values.launch = True  # coloured by values once they are in
            self.w.values.evaluate(find_first=bool(view.get("find_nan")))
            return
        if name in (None, "kind"):
            return
        analysed = below.analysed_of(self.w.set.stages)
        index = analysed.index if analysed is not None else self.w.set.current
        self.w.launch_target = index
        if name in available(self.w.set.stages, index):
            self.w.colour_by.setCurrentIndex(self.w.colour_by.findData(name))
            self.w.below.focus_for(name)
        if index != self.w.set.current:
            self.w.stage_strip.setCurrentIndex(index)
        else:
            self.w.drawing.redraw()
