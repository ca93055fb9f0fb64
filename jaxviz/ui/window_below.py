"""The main window below the jaxpr: the XLA tab, the "Colour by" overlays, and fusion-mates.

A mixin of ``MainWindow`` like the other ``window_*`` modules: selecting an equation of the
stage that was compiled selects every equation XLA fused with it (and, once the compiled
stage is shown, the kernel they run in); a row of the XLA tab selects its equations.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from jaxviz.core.export.overlay import OVERLAYS, available, colour, value_magnitudes, values
from jaxviz.core.layout.engine import Layout
from jaxviz.core.xla import below
from jaxviz.core.xla.fusion_map import fusion_mates

TEXT_TAB = {"jaxpr": "jaxpr", "stablehlo": "StableHLO", "hlo": "HLO"}


class BelowTheJaxpr:
    """Overlays and the XLA tab; mixed into MainWindow."""

    def _build_below(self) -> None:
        from .below_panel import BelowPanel

        self.below = BelowPanel()  # its tab is added with the others
        self.colour_by = QComboBox(toolTip="Colour the graph by what XLA made of each equation "
                                           "or by what it costs")
        for name, text in OVERLAYS.items():
            self.colour_by.addItem(f"Colour: {text}", name)
        # as wide as its longest entry would take a third of the graph's column at 1280
        self.colour_by.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.colour_by.setMinimumContentsLength(20)
        self.colour_by.activated.connect(lambda _: self._on_overlay())
        self.below.selectNodes.connect(self._select_from_below)
        self.below.compileWanted.connect(self._add_compile)
        self._overlay_values: dict[tuple, dict] = {}
        self._kernel_selected = ""

    def _on_overlay(self) -> None:
        self.below.focus_for(self.colour_by.currentData())
        self.redraw()

    def _show_below(self, index: int) -> None:
        """The XLA tab, the overlays on offer and the text tab's name for stage ``index``."""
        stages = self.set.stages
        self.below.show_stages(stages, index)
        compiled = below.compiled_of(stages)
        self.devices.show_compiled_for(compiled.title if compiled else "",
                                       compiled.reference.get("platform", "") if compiled
                                       else "")
        offered = available(stages, index) if stages else ["kind"]
        if stages and self.values.of_stage(index) is not None:
            offered.append("values")
        model = self.colour_by.model()
        for row in range(self.colour_by.count()):
            item = model.item(row)
            item.setEnabled(self.colour_by.itemData(row) in offered)
        if self.colour_by.currentData() not in offered:
            self.colour_by.setCurrentIndex(0)
        if stages:
            self.side.setTabText(self.side.indexOf(self.jaxpr),
                                 TEXT_TAB.get(stages[index].dialect, "jaxpr"))

    def _overlaid(self, layout: Layout) -> Layout:
        """The layout in the colours of the chosen overlay (its values computed once)."""
        name = self.colour_by.currentData()
        index = self.set.current
        if name == "values" and self.set.stages:
            evaluated = self.values.of_stage(index)
            return layout if evaluated is None else colour(
                layout, self.set.models[index], name, value_magnitudes(evaluated))
        if not self.set.stages or name == "kind" or name not in available(self.set.stages,
                                                                           index):
            return layout
        key = (self.set.serial, index, name)
        if key not in self._overlay_values:
            self._overlay_values[key] = values(name, self.set.stages, index)
        return colour(layout, self.set.models[index], name, self._overlay_values[key])

    def _select_from_below(self, ids: list[str]) -> None:
        if self.set.stages and ids:
            self.selector.select_ir_nodes([i for i in ids if i in self.set.nodes[self.set.current]])

    def _add_compile(self) -> None:
        text = self.pipeline.pipeline().strip()
        self.pipeline.set_text(f"{text} | compile" if text else "jit | compile")

    def _show_fusion_mates(self, node_id: str) -> None:
        """An equation of the compiled stage's source: select what XLA fused with it."""
        stages = self.set.stages
        compiled = below.compiled_of(stages)
        if compiled is None or below.analysed_of(stages) is not stages[self.set.current]:
            return
        places = below.placements(compiled)
        place = places.get(node_id)
        if place is None:
            return
        self._kernel_selected = place.kernel
        mates = fusion_mates(places, node_id)
        model = self.set.models[self.set.current]
        self.graph.select_nodes(list(dict.fromkeys(model.representative(i) for i in mates)),
                                center=False)
        where = f"runs in {place.kernel} ({place.kernel_kind}) with {len(mates) - 1} more " \
                f"equations" if place.kernel else place.status
        self.statusBar().showMessage(f"{node_id}: {place.status}, {where}", 8000)

    def _select_kernel(self, index: int) -> None:
        """On the compiled stage, select the kernel the last picked equation runs in."""
        if not 0 <= index < len(self.set.stages):
            return
        stage = self.set.stages[index]
        if stage.dialect != "hlo" or not self._kernel_selected:
            return
        hits = [n.id for n in self.set.nodes[index].values()
                if n.outputs and n.outputs[0].name == self._kernel_selected]
        if hits:
            self.graph.select_nodes(hits[:1])

    def _apply_launch_view(self) -> None:
        """``--tab`` and ``--color-by``, once the first trace is in."""
        view, self.launch_view = getattr(self, "launch_view", None), None
        if not view or not self.set.stages:
            return
        tabs = {self.side.tabText(i).lower(): i for i in range(self.side.count())}
        if view.get("tab") == "collectives":  # the XLA tab's page of them
            self.side.setCurrentWidget(self.below)
            self.below.focus_for("collectives")
        elif view.get("tab"):
            self.side.setCurrentIndex(tabs.get(view["tab"], tabs.get("jaxpr", 0)))
        name = view.get("color_by")
        if view.get("find_nan") or name == "values":
            self.values.launch = True  # coloured by values once they are in
            self.values.evaluate(find_first=bool(view.get("find_nan")))
            return
        if name in (None, "kind"):
            return
        analysed = below.analysed_of(self.set.stages)
        index = analysed.index if analysed is not None else self.set.current
        self.launch_target = index
        if name in available(self.set.stages, index):
            self.colour_by.setCurrentIndex(self.colour_by.findData(name))
            self.below.focus_for(name)
        if index != self.set.current:
            self.stage_strip.setCurrentIndex(index)
        else:
            self.redraw()
