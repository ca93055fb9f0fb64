"""A replaced stage set is freed off the GUI thread, a chunk at a time, and only what nothing
else holds is taken apart."""

from jaxviz.core.ir.graph import to_dict
from jaxviz.ui import stage_set as ss
from tests.core.traced import trace
from tests.data import samples as s


def _built():
    stages, _ = trace(s.POLYNOMIAL)
    built = ss.StageSet()
    for stage in stages:
        built.add(to_dict(stage), None)
    return built


def test_what_only_the_set_holds_is_emptied_and_what_a_view_holds_is_left_whole():
    built = _built()
    shown = built.stages[1]  # as a diff panel would keep it
    count = len(shown.graph.nodes)
    ss._dismantle(built)
    assert built.stages[0].graph.nodes == [] and built.models[0].nodes == {}
    assert all(not n for n in built.nodes)
    assert len(shown.graph.nodes) == count and shown.graph.edges


def test_release_later_runs_on_a_thread_of_its_own(monkeypatch):
    import threading

    seen = []
    monkeypatch.setattr(ss, "_dismantle", lambda st: seen.append(threading.current_thread()))
    ss.release_later(_built())
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and thread.daemon:
            thread.join(timeout=5)
    assert seen and seen[0] is not threading.main_thread()


def test_the_ir_as_received_is_taken_apart_off_the_gui_thread():
    # the window keeps the objects only: the dicts it rebuilt them from are emptied on a
    # thread of their own, not dropped with the answer on the GUI thread
    import threading

    from jaxviz.worker import protocol as p

    stages, _ = trace(s.POLYNOMIAL)
    received = [to_dict(stage) for stage in stages]
    response = ss.build_stage_set(None, p.TraceResult(stages=list(received), layouts=[]))
    assert response.stages == [] and len(response.prepared.stages) == len(stages)
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and thread.daemon:
            thread.join(timeout=5)
    assert all(not data["graph"]["nodes"] for data in received)
    assert response.prepared.stages[-1].graph.nodes  # the objects are whole
