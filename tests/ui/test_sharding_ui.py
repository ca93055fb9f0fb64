"""The XLA tab's Collectives: a jit given in_shardings, compiled over the test's 4 devices."""

from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "19_sharded_mlp.py"
ARGS = "(f32[64,128], f32[128,16]), f32[32,64], f32[32,16]"
PIPELINE = "grad | jit(in_shardings=((P(), P()), P('data', None), P('data', None))) | compile"


def test_the_xla_tab_lists_the_collectives_and_their_lines(make_window, qtbot):
    win = make_window(file=str(EXAMPLE), function="loss", args=ARGS, pipeline=PIPELINE)
    with qtbot.waitSignal(win.graphShown, timeout=90_000):
        pass
    with qtbot.waitSignal(win.graphShown, timeout=60_000):
        win.stage_strip.setCurrentIndex(2)  # the jit stage that was compiled
    win.side.setCurrentWidget(win.below)  # the reports are made when the tab is looked at
    table = win.below.collectives
    assert table.rowCount() == 1
    cells = [table.item(0, c).text() for c in range(table.columnCount())]
    assert cells[0] == "all-reduce" and cells[2] == "data"
    assert "q = dot_general" in cells[3] and cells[4] == "22, 21"
    table.itemClicked.emit(table.item(0, 0))  # selects the two weight-gradient matmuls
    picked = table.item(0, 0).data(0x0100)  # Qt.UserRole
    assert sorted(win.set.nodes[2][i].primitive for i in picked) == ["dot_general"] * 2
    model = win.set.models[2]
    assert {model.representative(i) for i in picked} <= set(win.graph.selected_ids())


def test_shardings_on_the_edges_and_an_equations_device_grid(make_window, qtbot):
    """Run → Shardings on the edges, data-parallel over the 4 devices: the batch-split
    activations' edges say so, and an activation's Details draw its tiles, one per device."""
    from jaxviz.ui.graph_items import EdgeItem

    win = make_window(file=str(EXAMPLE), function="loss", args=ARGS,
                      pipeline=PIPELINE.replace(" | compile", ""))
    with qtbot.waitSignal(win.graphShown, timeout=90_000):
        pass
    with qtbot.waitSignal(win.tracer.finished, timeout=90_000,
                          check_params_cb=lambda req, resp: type(req).__name__ ==
                          "ShardingRequest"):
        win.sharding.request("data=4")
    assert "over data=4: 1 collective, " in win.statusBar().currentMessage()
    tips = [win.graph.edge_tip(i.edge) for i in win.graph.scene().items()
            if isinstance(i, EdgeItem)]
    assert any("sharding: f32[32,128] {data, –}" in t for t in tips), tips
    nodes = win.set.nodes[win.set.current]
    tanh = next(n for n in nodes.values() if n.primitive == "tanh")
    win.selector.select_ir_nodes([tanh.id])
    win.selector.on_nodes_selected([tanh.id])
    details = win.details.toPlainText()
    assert "Sharding" in details and "f32[32,128] {data, –}" in details
    assert "0\n1\n2\n3" in details or "0 1 2 3" in details.replace("\n", " ")
