"""The worker process: answers, timeouts, crashes, captured prints, host devices."""

import time

import pytest

from jaxviz.worker import codec
from jaxviz.worker import protocol as p
from jaxviz.worker.client import WorkerCancelled, WorkerClient, WorkerCrashed, WorkerTimeout
from tests.data import samples as s


def request(source, function="f", args="1.0", pipeline=""):
    return p.TraceRequest(source=source, function=function, args=args, pipeline=pipeline)


@pytest.fixture(scope="module")
def client():
    c = WorkerClient(timeout=20)
    c.start()
    yield c
    c.close()


def test_trace_round_trip(client):
    result = client.call(request(s.POLYNOMIAL.source, args="2.0", pipeline="grad"))
    assert isinstance(result, p.TraceResult)
    assert [st["equations"] for st in result.stages] == [8, 18]


def test_prints_are_captured_apart_and_bounded(client):
    source = ("print('hello from the module')\n"
              "import os\nos.write(1, b'raw fd write\\n')\n"
              "def f(x):\n    print('x' * 1_000_000)\n    return x\n")
    result = client.call(request(source))
    assert isinstance(result, p.TraceResult)
    assert result.stdout.startswith("hello from the module")
    assert len(result.stdout) < 70_000 and "characters of output were dropped" in result.stdout
    # the raw fd write went to the worker's stderr, not into the protocol
    again = client.call(request(s.POLYNOMIAL.source, args="2.0"))
    assert isinstance(again, p.TraceResult)


def test_user_error_comes_back_as_failure(client):
    result = client.call(request("def f(x):\n    return x +\n"))
    assert isinstance(result, p.Failure)
    assert result.error.kind == "syntax" and result.error.line == 2


def test_sys_exit_is_a_user_error_and_worker_survives(client):
    pid = client.pid
    result = client.call(request("import sys\nsys.exit(4)\n"))
    assert isinstance(result, p.Failure) and result.error.kind == "exit"
    assert client.pid == pid


def test_infinite_loop_times_out_and_worker_restarts(client):
    start = time.monotonic()
    with pytest.raises(WorkerTimeout) as info:
        client.call(request("def f(x):\n    while True:\n        pass\n"), timeout=1.5)
    assert time.monotonic() - start < 10
    assert info.value.info.kind == "timeout"
    result = client.call(request(s.POLYNOMIAL.source, args="2.0"))
    assert isinstance(result, p.TraceResult)


@pytest.mark.parametrize("source, expected", [
    ("import os\nos._exit(7)\n", "exited with code 7"),
    ("import ctypes\nctypes.string_at(0)\n", "SIGSEGV"),
], ids=["os._exit", "segfault"])
def test_crash_is_reported_and_replaced(client, source, expected):
    with pytest.raises(WorkerCrashed) as info:
        client.call(request(source))
    assert expected in info.value.info.message
    result = client.call(request(s.POLYNOMIAL.source, args="2.0"))
    assert isinstance(result, p.TraceResult)


def test_cancel_from_another_thread(client):
    import threading
    client.call(request(s.POLYNOMIAL.source, args="2.0"))  # ready
    threading.Timer(0.5, client.cancel).start()
    with pytest.raises(WorkerCancelled):
        client.call(request("def f(x):\n    while True:\n        pass\n"), timeout=20)
    assert isinstance(client.call(request(s.POLYNOMIAL.source, args="2.0")), p.TraceResult)


def test_host_devices_is_a_setting_applied_by_restart():
    c = WorkerClient(host_devices=2)
    try:
        assert len(c.call(p.DevicesRequest()).devices) == 2
        c.restart(host_devices=3)
        assert len(c.call(p.DevicesRequest()).devices) == 3
    finally:
        c.close()


def test_start_does_not_block():
    c = WorkerClient()
    start = time.monotonic()
    c.start()
    assert time.monotonic() - start < 0.5
    c.close()


def test_big_messages_travel_in_chunks_and_come_back_whole():
    nodes = [{"id": f"e{i}", "kind": "eqn"} for i in range(2500)]
    edges = [{"src": f"e{i}", "dst": f"e{i + 1}"} for i in range(2499)]
    stage = {"title": "f", "graph": {"nodes": nodes, "edges": edges}}
    message = p.TraceResult(stages=[stage], layouts=[None])
    wire = codec.encode(message, 7)
    assert len(codec.split_frames(wire)) == 1 + 3 + 3  # head, chunks of 1000 nodes and edges
    assert stage["graph"]["nodes"] is nodes and len(nodes) == 2500  # the original untouched
    back, request_id = codec.decode(wire)
    assert request_id == 7 and back == message


def test_payloads_come_back_as_their_types_and_local_fields_stay_home():
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.layout.geometry import LayoutOptions

    request = p.LayoutRequest([p.GraphState("3/1", ["e2"], None)], LayoutOptions(rankdir="LR"),
                              [1])
    back, _ = codec.decode(codec.encode(request, 1))
    assert back == request
    assert isinstance(back.models[0], p.GraphState) and back.options.rankdir == "LR"
    failure, _ = codec.decode(codec.encode(p.Failure(ErrorInfo(kind="syntax", line=3,
                                                               message="bad")), 2))
    assert isinstance(failure.error, ErrorInfo) and failure.error.line == 3
    result = p.TraceResult(stages=[], prepared=object())
    assert b"prepared" not in codec.encode(result, 3)
    assert codec.decode(codec.encode(result, 3))[0].prepared is None
    spec = p.TraceRequest("x", "f", "", "", export=p.ExportSpec("/tmp/a.svg", "svg"))
    assert isinstance(codec.decode(codec.encode(spec, 4))[0].export, p.ExportSpec)


def test_each_request_is_paired_with_its_answers():
    assert p.answers(p.DevicesRequest(), p.DevicesResult(devices=[]))
    assert p.answers(p.TraceRequest("", "", "", ""), p.Failure(error=None))
    assert not p.answers(p.LayoutRequest([]), p.TraceResult(stages=[]))
    messages = set(p.MESSAGE_TYPES.values())
    requests = {m for m in messages if m.__name__.endswith("Request")}
    assert requests == set(p.ANSWERS)  # no request without its answers


def test_every_big_payload_travels_in_chunks():
    nodes = {f"e{i}": {"x": i} for i in range(2500)}
    edges = [{"src": f"e{i}"} for i in range(2500)]
    layout = {"width": 1.0, "nodes": nodes, "edges": edges}
    graph = {"nodes": list(nodes.values()), "edges": edges}
    messages = [p.LayoutResult(layouts=[layout]),
                p.ExportRequest(items=[p.ExportItem(layout, {"graph": graph}, "/tmp/x.svg")]),
                p.TraceResult(stages=[{"graph": graph}], layouts=[layout])]
    for message in messages:
        wire = codec.encode(message, 1)
        assert len(codec.split_frames(wire)) > 4, type(message).__name__
        assert codec.decode(wire)[0] == message


def test_a_first_view_the_printer_renames_is_laid_out_again(monkeypatch):
    """The app's trace sends the first view before JAX prints the text; were a name found
    without printing ever wrong, the answer has the stage built and laid out again with the
    printer's names, and says the first view is out of date (the window draws it again)."""
    import jaxviz.trace.jaxpr_ir as jaxpr_ir
    from jaxviz.core.layout.engine import Layout
    from jaxviz.core.layout.geometry import LayoutOptions
    from jaxviz.worker.handlers import handle_trace

    found = jaxpr_ir.printer_names

    def one_wrong(closed):
        names = found(closed)
        names.names[closed.jaxpr.invars[0]] = "zz"
        return names

    views = []
    request = p.TraceRequest(source=s.POLYNOMIAL.source, function="f", args="2.0",
                             pipeline="grad", layout=LayoutOptions(), first_view=True,
                             layout_last_only=True)
    labels = lambda layout: {line for b in layout.nodes.values() for line in b.lines}  # noqa
    seen = lambda *a: views.append(a[2]) if len(a) > 2 and a[2] else None  # noqa: E731
    result = handle_trace(request, seen)
    assert not result.first_view_stale and "a:f32[]" in labels(Layout.from_dict(views[-1].layout))
    monkeypatch.setattr(jaxpr_ir, "printer_names", one_wrong)
    result = handle_trace(request, seen)
    assert "zz:f32[]" in labels(Layout.from_dict(views[-1].layout))
    assert result.first_view_stale
    final = labels(Layout.from_dict(result.layouts[-1]))
    assert "a:f32[]" in final and not any("zz" in line for line in final)
    assert "zz" not in result.stages[-1]["jaxpr"]


def test_an_export_of_the_last_stage_traces_that_stage_alone(tmp_path):
    """``jaxviz export`` of the last stage traces it alone, as often as make_jaxpr of it
    does (the stages before it are not drawn), and its SVG holds the stage's graph."""
    import jax

    from jaxviz.core.layout.geometry import LayoutOptions
    from jaxviz.worker.handlers import handle_trace

    log, out = tmp_path / "calls", tmp_path / "g.svg"
    source = f"def f(x):\n    open({str(log)!r}, 'a').write('.')\n    return jnp.sin(x) * x\n"
    namespace = {"jnp": jax.numpy}
    exec(source, namespace)
    jax.make_jaxpr(jax.grad(jax.grad(namespace["f"])))(1.0)
    by_jax, _ = log.read_text(), log.unlink()
    request = p.TraceRequest(source, "f", "1.0", "grad | grad", layout=LayoutOptions(),
                             layout_last_only=True,
                             export=p.ExportSpec(path=str(out), format="svg", inputs=[]))
    result = handle_trace(request, lambda *a: None)
    assert result.written == [[str(out), "grad(grad(f))"]]
    assert log.read_text() == by_jax
    assert "cos" in out.read_text() and "sin" in out.read_text()


def test_the_shown_stage_goes_ahead_of_its_text_and_adds_up_to_the_whole_stage():
    """The app's trace sends the shown stage's graph as soon as it is laid out, then prints
    its text: the result has None in its place and the text, and the two together are the
    stage the in-order trace gives, equation lines included."""
    from jaxviz.core.ir.graph import stage_from_dict, to_dict
    from jaxviz.core.layout.geometry import LayoutOptions
    from jaxviz.trace.session import trace_source
    from jaxviz.ui.stage_set import add_text, build_stage
    from jaxviz.worker.handlers import handle_trace

    sample = s.SCAN
    ahead = []
    request = p.TraceRequest(source=sample.source, function=sample.function, args=sample.args,
                             pipeline="grad | jit", layout=LayoutOptions(), first_view=True,
                             layout_last_only=True, filename="<editor>")
    result = codec.decode(codec.encode(handle_trace(
        request, lambda *a: ahead.extend(a[3]) if len(a) > 3 else None)))[0]
    assert result.stages[:2] != [None, None] and result.stages[2] is None
    (sent,) = ahead
    assert sent["jaxpr"] == "" and result.ahead_text.index == 2
    whole = add_text(build_stage(sent), result.ahead_text).stage
    expected, _ = trace_source(sample.source, "<editor>", sample.function, sample.args,
                               "grad | jit")
    assert whole.jaxpr == expected[2].jaxpr and whole.graph == expected[2].graph
    assert [stage_from_dict(d).graph for d in result.stages[:2]] == \
        [e.graph for e in expected[:2]]
    assert to_dict(whole)["graph"] == to_dict(expected[2])["graph"]


def test_the_worker_sends_without_waiting_for_the_reader():
    """A message bigger than the pipe holds is written from the sender's thread: the handler
    goes on (the worker prints the stage's text while the window reads its graph), and what
    was sent arrives whole and in order."""
    import os
    import threading

    from jaxviz.worker.server import Sender

    read_end, write_end = os.pipe()
    sender = Sender(os.fdopen(write_end, "wb"))
    big = p.Progress("x" * 5_000_000)  # a pipe holds 64 kB
    sent = threading.Thread(target=lambda: (sender.send(big, 1), sender.send(p.Progress("next"),
                                                                             2)))
    sent.start()
    sent.join(timeout=10)
    assert not sent.is_alive()  # both handed over while nobody reads
    with os.fdopen(read_end, "rb") as pipe:
        def message():
            (size,) = codec.LENGTH.unpack(pipe.read(codec.LENGTH.size))
            data, parts = codec.decode_head(pipe.read(size))
            return codec.build(data)

        first, second = message(), message()
    assert first == (big, 1) and second[0].message == "next" and second[1] == 2
    sender.drain()


def test_the_time_limit_is_for_each_run_of_user_code_not_the_whole_request(client):
    """Two stages whose traces take 1 s each, under a 1.6 s limit: each run of the user's code
    gets the limit (jaxviz's own work between and after is not counted), and an endless
    loop is still stopped, named with the step it was in."""
    source = "import time\ndef f(x):\n    time.sleep(1.0)\n    return x * x\n"
    client.call(request(s.POLYNOMIAL.source, args="2.0"))  # the worker warmed up
    result = client.call(request(source, args="2.0", pipeline="grad"), timeout=1.6)
    assert isinstance(result, p.TraceResult) and len(result.stages) == 2
    with pytest.raises(WorkerTimeout) as info:
        client.call(request("def f(x):\n    while True:\n        pass\n", args="2.0"),
                    timeout=1.6)
    assert "while tracing f" in info.value.info.message
