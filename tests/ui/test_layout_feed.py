"""A group opened or closed sends the layout worker a key and the open groups, not the IR: the
graph went there once, ahead of the first toggle; a restarted worker gets it again."""

from jaxviz.worker import codec
from jaxviz.worker import protocol as p
from tests.ui.test_main_window import WAIT, trace_code

CHAIN = "def f(x):\n    for _ in range(1000):\n        x = jnp.sin(x) * 2.0 + 1.0\n    return x\n"


def _toggle_and_measure(window, qtbot, sent, which):
    """Open or close a group (a new state each time: a state seen before comes from the
    window's cache, with no request at all)."""
    model = window.set.models[window.set.current]
    closed = [g for g in model.groups if g not in model.open
              and (model.groups[g].parent is None or model.groups[g].parent in model.open)]
    gid = closed[which % len(closed)]
    sent.clear()
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.drawing.toggle_group(gid)
    layouts = [r for r in sent if isinstance(r, p.LayoutRequest)]
    return [len(codec.encode(r, 1)) for r in layouts]


def test_toggling_a_group_sends_a_few_bytes(window, qtbot):
    trace_code(window, qtbot, CHAIN, "f", "1.0", "")
    assert window.set.stages[0].equations == 3000
    sent = []
    submit = window.layouter.submit
    window.layouter.submit = lambda request: (sent.append(request), submit(request))[1]
    qtbot.waitUntil(lambda: not window.layouter.busy, timeout=WAIT)  # the graph went ahead
    sizes = _toggle_and_measure(window, qtbot, sent, 0)
    assert sizes and max(sizes) < 10_000, sizes
    window.layouter.client.restart()  # a worker with nothing: the graph goes again, once
    sizes = _toggle_and_measure(window, qtbot, sent, 1)
    assert sizes and max(sizes) > 100_000
    sizes = _toggle_and_measure(window, qtbot, sent, 2)
    assert sizes and max(sizes) < 10_000


def test_the_window_keeps_one_form_of_the_graph_and_sends_it_as_plain_data():
    # the IR as received is not kept beside the objects rebuilt from it; the layout worker
    # still gets the graph as the plain dict it reads, made when the request is encoded
    from jaxviz.core.ir.graph import to_dict
    from jaxviz.ui.stage_set import StageSet
    from tests.core.traced import trace
    from tests.data import samples as s

    stages, _ = trace(s.MLP)
    built = StageSet()
    built.add(to_dict(stages[-1]), None)
    kept = [item for v in vars(built).values() if isinstance(v, list) for item in v]
    assert not any(isinstance(item, dict) and "edges" in item for item in kept)  # no IR dict
    request = p.PrimeRequest([built.state(0, with_graph=True)])
    received, _ = codec.decode(codec.encode(request, 1))
    assert received.models[0].graph == to_dict(built.stages[0].graph)
