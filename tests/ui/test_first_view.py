"""The stage shown first is drawn as soon as the worker has laid it out, before the IR of every
stage has travelled: view only until the stages come, then live, and never drawn twice."""

from PySide6.QtCore import Qt

WAIT = 60_000
STACK = """
def net(params, x):
    for p in params:
        x = jnp.tanh(x @ p["w"] + p["b"])
    return (x ** 2).mean()

def make(depth):
    return [dict(w=jax.ShapeDtypeStruct((8, 8), jnp.float32),
                 b=jax.ShapeDtypeStruct((8,), jnp.float32)) for _ in range(depth)]
"""


def _load(window, pipeline="grad"):
    window.trace_timer.stop()
    window.editor.blockSignals(True)
    window.editor.setPlainText(STACK)
    window.editor.blockSignals(False)
    window._refresh_functions("net")
    window.args.setText("make(40), f32[4,8]")
    window.pipeline.set_text(pipeline)
    window.trace_timer.stop()


def test_the_first_view_comes_first_view_only_then_goes_live_unchanged(window, qtbot):
    _load(window)
    seen = {}

    def first(index):
        seen["first"] = index
        seen["interactive"] = window.graph.isInteractive()
        seen["items"] = dict(window.graph.items_by_id)
        seen["tips"] = {k: i.toolTip() for k, i in window.graph.items_by_id.items()}
        seen["text"] = window.jaxpr.toPlainText()
        seen["stages then"] = [s.title for s in window.set.stages]

    order = []
    window.firstViewShown.connect(first)
    window.firstViewShown.connect(lambda i: order.append("first view"))
    window.graphShown.connect(lambda i: order.append("live"))
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.trace()
    assert order == ["first view", "live"]  # live only once the first view is all drawn
    assert seen["first"] == 1 and seen["interactive"] is False
    assert seen["stages then"] == ["f", "grad(f)"]  # the example's: the new ones came after
    # the text up was not the example's (it would not match the drawing), and is now JAX's
    assert "comes in a moment" in seen["text"] and "lambda" not in seen["text"]
    assert window.jaxpr.toPlainText().startswith(window.set.stages[-1].jaxpr[:200])
    assert [s.title for s in window.set.stages] == ["net", "grad(net)"]
    assert window.graph.isInteractive() and window.first_view is None
    # the very items drawn first are the ones up now: the scene was not rebuilt
    assert window.graph.items_by_id.keys() == seen["items"].keys()
    assert all(window.graph.items_by_id[k] is item for k, item in seen["items"].items())
    # drawn before JAX printed the text, the equations' hover texts now start with their line
    model = window.set.models[-1]
    equations = [(nid, item) for nid, item in window.graph.items_by_id.items()
                 if nid in model.nodes and model.nodes[nid].kind == "eqn"]
    assert equations and all(model.nodes[nid].text and item.toolTip().startswith(
        model.nodes[nid].text) for nid, item in equations)
    assert seen["tips"] and not any(model.nodes[nid].text in seen["tips"][nid]
                                    for nid, _ in equations)
    params = next(i for i in window.graph.items_by_id.values()
                  if i.box.lines[0] == "▸ params")
    assert params.box.lines[1] == "argument · 80 inputs"
    window.graph.centerOn(params)  # and it is live: a click selects
    point = window.graph.mapFromScene(params.scenePos())
    qtbot.mouseClick(window.graph.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.graph.selected_ids() == [params.node_id]


def test_a_failed_trace_after_its_first_view_puts_back_what_was_up(window, qtbot):
    before = set(window.graph.items_by_id)
    _load(window)
    window.first_view = object()  # as if a first view were up when the trace fails
    window.graph.setInteractive(False)
    window.jaxpr.set_text("net: JAX's text comes in a moment")
    window.editor.setPlainText("def net(params, x):\n    return x +\n")
    with qtbot.waitSignal(window.errorShown, timeout=WAIT):
        window.trace()
    assert window.first_view is None and window.graph.isInteractive()
    assert set(window.graph.items_by_id) == before  # the last good graph, marked stale
    assert window.jaxpr.toPlainText() == window.set.stages[window.set.current].jaxpr


def test_the_result_waits_for_a_first_view_still_filling_in(window):
    calls = []
    window.first_view_waiting = []  # as while the first view's batches still go in
    window.results.after_first_view(lambda: calls.append("live"))
    assert calls == []
    waiting, window.first_view_waiting = window.first_view_waiting, None
    for then in waiting:
        then()
    assert calls == ["live"]
    window.results.after_first_view(lambda: calls.append("again"))  # drawn: at once
    assert calls == ["live", "again"]
