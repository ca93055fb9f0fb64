"""The window below the jaxpr: compiled stages, the XLA tab, overlays, fusion-mates."""

from pathlib import Path

from jaxviz.core.xla import below

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "17_below_the_jaxpr.py"
ARGS = "params, f32[64,32], f32[64,8]"


def opened(make_window, qtbot, **kw):
    win = make_window(file=str(EXAMPLE), function="loss", args=ARGS,
                      pipeline="grad | jit | compile", **kw)
    with qtbot.waitSignal(win.graphShown, timeout=90_000):
        pass
    return win


def show_stage(win, qtbot, index):
    with qtbot.waitSignal(win.graphShown, timeout=60_000):
        win.stage_strip.setCurrentIndex(index)


def test_the_compiled_stage_shows_hlo_and_its_kernels(make_window, qtbot):
    win = opened(make_window, qtbot)
    stages = win.set.stages
    assert [s.dialect for s in stages] == ["jaxpr", "jaxpr", "jaxpr", "hlo"]
    assert win.set.current == 3
    assert win.side.tabText(win.side.indexOf(win.jaxpr)) == "HLO"
    assert win.jaxpr.toPlainText().startswith("HloModule jit_loss")
    assert "compiled for <b>cpu</b>" in win.devices.compiled_for.text()
    drawn = win.graph.items_by_id
    fusions = [i for i in drawn if win.set.models[3].groups.get(i) is not None]
    assert fusions, "fusions are drawn as closed groups that open"


def test_colour_by_kernel_paints_fusion_mates_alike(make_window, qtbot):
    win = opened(make_window, qtbot)
    show_stage(win, qtbot, 2)
    assert win.colour_by.model().item(win.colour_by.findData("fusion")).isEnabled()
    with qtbot.waitSignal(win.graphShown, timeout=60_000):
        win.colour_by.setCurrentIndex(win.colour_by.findData("fusion"))
        win.colour_by.activated.emit(win.colour_by.currentIndex())
    places = below.placements(below.compiled_of(win.set.stages))
    fills = {}
    for node_id, item in win.graph.items_by_id.items():
        place = places.get(node_id)
        if place is not None and place.kernel and place.status == "fused":
            fills.setdefault(place.kernel, set()).add(item.box.fill)
    assert len(fills) >= 3
    assert all(len(f) == 1 for f in fills.values())  # one colour per kernel
    assert len({next(iter(f)) for f in fills.values()}) > 1  # kernels told apart
    assert any("XLA kernel" in text for text, _ in win.legend.entries)


def test_picking_an_equation_selects_what_xla_fused_with_it(make_window, qtbot):
    win = opened(make_window, qtbot)
    show_stage(win, qtbot, 2)
    places = below.placements(below.compiled_of(win.set.stages))
    tanh = next(k for k, p in places.items() if p.status == "fused" and
                win.set.nodes[2][k].primitive == "tanh" and k in win.graph.items_by_id)
    win.graph.nodesSelected.emit([tanh])
    mates = {k for k, p in places.items() if p.kernel == places[tanh].kernel}
    selected = set(win.graph.selected_ids())
    assert mates & set(win.graph.items_by_id) <= selected and len(selected) > 1
    assert places[tanh].kernel in win.statusBar().currentMessage()
    show_stage(win, qtbot, 3)  # the compiled stage: the kernel itself is selected
    kernel = [n for n in win.set.nodes[3].values() if n.outputs
              and n.outputs[0].name == places[tanh].kernel]
    assert kernel and win.graph.selected_ids() == [kernel[0].id]


def test_the_xla_tab_rows_select_their_equations(make_window, qtbot):
    win = opened(make_window, qtbot)
    show_stage(win, qtbot, 2)
    win.side.setCurrentWidget(win.below)  # the reports are made when the tab is looked at
    table = win.below.cost
    assert table.rowCount() > 10
    top = table.item(0, 0).data(0x0100)  # Qt.UserRole
    assert win.set.nodes[2][top[0]].primitive == "dot_general"  # largest FLOPs first
    table.itemClicked.emit(table.item(0, 0))
    assert win.set.models[2].representative(top[0]) in win.graph.selected_ids()
    assert win.below.residuals.rowCount() == 10
    assert "agree" in win.below.residual_text.text()
    assert win.below.chart.peak is not None and len(win.below.chart.live) > 40


def test_without_compile_the_tab_offers_it(make_window, qtbot):
    win = make_window(file=str(EXAMPLE), function="loss", args=ARGS, pipeline="grad")
    with qtbot.waitSignal(win.graphShown, timeout=90_000):
        pass
    win.side.setCurrentWidget(win.below)
    assert win.below.add_compile.isVisibleTo(win.below)
    assert not win.colour_by.model().item(win.colour_by.findData("fusion")).isEnabled()
    assert win.colour_by.model().item(win.colour_by.findData("residuals")).isEnabled()
    with qtbot.waitSignal(win.graphShown, timeout=90_000):
        win.below.add_compile.click()
        win.trace()
    assert win.pipeline.pipeline() == "grad | compile"
    assert win.set.stages[-1].dialect == "hlo"


def test_the_reports_wait_until_the_tab_is_looked_at(make_window, qtbot):
    win = opened(make_window, qtbot)
    assert win.below.residuals.rowCount() == 0  # the jaxpr tab is in front: nothing made
    show_stage(win, qtbot, 2)
    assert win.below.residuals.rowCount() == 0
    win.side.setCurrentWidget(win.below)
    assert win.below.residuals.rowCount() == 10
