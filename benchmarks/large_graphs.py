"""Large jaxprs: time every step from trace to painted graph, and the app end to end.

    python benchmarks/large_graphs.py            # the tables, written to benchmarks/results.md
    python benchmarks/large_graphs.py --quick    # the smaller half of the cases, no CLI

Steps (in this process, for the pipeline's last stage, in the app's order): trace (make_jaxpr),
graph (the IR without JAX's text), layout (graph model and first view), text (JAX's printer and
each equation's line, after the first view), transfer (the protocol's encoding both ways, and
rebuilding the model as the window does), scene build, first paint (offscreen), and export to
SVG of the fully opened graph. "ratio" is the sum of the steps over the trace alone.

End to end (the real app, its real worker; the median of 3 runs): from the request to the
first view drawn (the shown stage, drawn ahead of the IR) and to everything ready (every
stage's IR rebuilt, the graph live), the longest gap between event-loop ticks while it runs (a
2 ms timer: how long the window stops answering), and the window process's resident memory
afterwards.

The command line (``cli_cost.py``): ``jaxviz trace`` and ``export`` to SVG and PNG, whole
processes, against the floor (a fresh Python importing jax and tracing the last stage).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cli_cost import cli_rows  # noqa: E402
from jaxviz.worker import codec  # noqa: E402
from jaxviz.worker import protocol as p  # noqa: E402
from tests.data.programs import CASES  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def steps(case) -> dict:
    """Each step's seconds for one case, in this process."""
    from PySide6.QtWidgets import QApplication

    from jaxviz.core.export.images import export_bytes
    from jaxviz.core.ir.graph import gc_paused, stage_from_dict, to_dict
    from jaxviz.core.layout.engine import Layout, layout_model
    from jaxviz.core.model.graph_model import GraphModel
    from jaxviz.core.model.tooltips import search_texts, tooltips
    from jaxviz.trace.session import build_stage, make_jaxpr, prepare, print_later
    from jaxviz.ui.graph_view import GraphView

    app = QApplication.instance() or QApplication([])
    name, source, function, args, pipeline, depth = case
    prepared, error = prepare(source, "<bench>", function, args.format(d=depth), pipeline)
    assert error is None, error
    text_later = []  # as the app's trace: the graph first, JAX's text after the first view
    closed, notes, seconds = make_jaxpr(prepared.plans[-1], prepared.static, "<bench>",
                                         prepared.static_names, prepared.namespace)
    stage = build_stage(closed, prepared.plans[-1], "<bench>", notes, seconds,
                        text_later=text_later)
    out = {"case": f"{name} ×{depth}", "equations": stage.equations,
           "trace": stage.timings["trace"], "graph": stage.timings["ir"]}
    start = time.perf_counter()
    with gc_paused():  # as the worker does (handlers.py)
        model = GraphModel(stage.graph)
        layout = layout_model(model)
    out["layout"] = time.perf_counter() - start
    out["visible"], out["engine"] = len(layout.nodes), layout.engine
    start = time.perf_counter()
    print_later(text_later)
    out["text"] = time.perf_counter() - start
    start = time.perf_counter()
    with gc_paused():  # as the worker and the window do: the protocol's own codec
        message = codec.encode(p.TraceResult(stages=[to_dict(stage)],
                                             layouts=[layout.to_dict()]))
        result, _ = codec.decode(message)
        model = GraphModel(stage_from_dict(result.stages[0]).graph)
        layout = Layout.from_dict(result.layouts[0])
    out["transfer"] = time.perf_counter() - start
    out["message_mb"] = len(message) / 2**20
    view = GraphView()
    view.resize(1200, 800)
    view.show()
    start = time.perf_counter()
    visible = model.visible()
    done = []
    view.show_layout(layout, tooltips(model, visible), search_texts(model, visible),
                     on_done=lambda: done.append(True))
    while not done:
        app.processEvents()
    out["scene"] = time.perf_counter() - start
    start = time.perf_counter()
    view.viewport().grab()
    app.processEvents()
    out["paint"] = time.perf_counter() - start
    view.close()
    total = sum(out[k] for k in ("trace", "graph", "layout", "text", "transfer", "scene",
                                 "paint"))
    out["total"], out["ratio"] = total, total / out["trace"]
    out["after_trace"] = total - out["trace"]
    start = time.perf_counter()
    full = GraphModel(stage.graph, expand_all=True)
    export_bytes(layout_model(full), to_dict(stage), "svg")
    out["export_svg_full"] = time.perf_counter() - start
    return out


def engines(case) -> dict:
    """dot and our layered layout on the same visible graph: time, and two plain measures of
    how readable the drawing is (its area, and how long its edges are on average)."""
    from jaxviz.core.layout.engine import LayoutOptions, layout_visible
    from jaxviz.core.model.graph_model import GraphModel
    from jaxviz.trace.session import prepare, trace_stage

    name, source, function, args, pipeline, depth = case
    prepared, _ = prepare(source, "<bench>", function, args.format(d=depth), pipeline)
    stage = trace_stage(prepared.plans[-1], prepared.static, "<bench>")
    view = GraphModel(stage.graph).visible()
    row = {"case": f"{name} ×{depth}", "visible": len(view.nodes)}
    for engine in ("dot", "layered"):
        layout = layout_visible(view, LayoutOptions(engine=engine))
        lengths = [abs(e.points[-1][1] - e.points[0][1]) + abs(e.points[-1][0] - e.points[0][0])
                   for e in layout.edges if not e.cut]
        row[f"{engine}_s"] = layout.seconds
        row[f"{engine}_area_Mpt2"] = layout.width * layout.height / 1e6
        row[f"{engine}_edge_pt"] = sum(lengths) / max(len(lengths), 1)
    return row


def end_to_end(case, window, qtbot_wait) -> dict:
    """The app: request to painted graph, longest event-loop gap, window process memory."""
    from PySide6.QtCore import QTimer

    name, source, function, args, pipeline, depth = case
    ticks = []
    timer = QTimer(interval=2)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    done = {}
    window.graphShown.connect(lambda i: done.setdefault("t", time.perf_counter()))
    window.firstViewShown.connect(lambda i: done.setdefault("first", time.perf_counter()))
    window.tracer.failed.connect(lambda r, e: done.setdefault("error", e.summary()))
    timer.start()
    window.trace_timer.stop()
    window.editor.blockSignals(True)  # no typing-triggered trace: one request, as Ctrl+Enter
    window.editor.setPlainText(source)
    window.editor.blockSignals(False)
    window._refresh_functions(function)
    window.args.setText(args.format(d=depth))
    window.pipeline.set_text(pipeline)
    window.trace_timer.stop()
    start = time.perf_counter()
    ticks.append(start)
    window.trace()
    qtbot_wait(lambda: "t" in done or "error" in done, 300)
    timer.stop()
    window.graphShown.disconnect()
    window.firstViewShown.disconnect()
    if "error" in done:
        raise RuntimeError(done["error"])
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    stages = window.set.stages
    trace_all = sum(s.timings.get("trace", 0) for s in stages)
    first = done.get("first", done["t"]) - start
    return {"case": f"{name} ×{depth}", "equations": stages[-1].equations,
            "trace_all_stages": trace_all, "first_view": first, "first_ratio": first / trace_all,
            "request_to_paint": done["t"] - start,
            "ratio": (done["t"] - start) / trace_all, "max_gap_ms": max(gaps) * 1000,
            "median_gap_ms": statistics.median(gaps) * 1000, "ui_rss_mib": rss_mib()}


def run_app_cases(cases) -> list[dict]:
    import argparse as ap

    from PySide6.QtCore import QCoreApplication, QEventLoop
    from PySide6.QtWidgets import QApplication

    from jaxviz.ui.app import build_window
    from jaxviz.ui.gc_guard import GarbageCollector

    app = QApplication.instance() or QApplication([])
    collector = GarbageCollector(app)  # noqa: F841 - as run_app has it
    os.environ.setdefault("JAXVIZ_HOME", "/tmp/jaxviz-bench-home")
    window = build_window(ap.Namespace(file=None, function=None, args=None, pipeline=None,
                                       screenshot=None, host_devices=None, no_restore=True))
    window.show()

    def wait(cond, timeout):
        end = time.perf_counter() + timeout
        while not cond() and time.perf_counter() < end:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            time.sleep(0.0005)

    wait(lambda: bool(window.set.stages), 120)  # the built-in example, JAX imported
    rows = [_median_run(lambda c=case: end_to_end(c, window, wait)) for case in cases]
    window.close()
    app.processEvents()
    return rows


def _median_run(run, times: int = 3) -> dict:
    """The run with the median first view of ``times``: one run of a small case varies by
    a third (a 0.1 s trace)."""
    runs = sorted((run() for _ in range(times)), key=lambda r: r["first_view"])
    return runs[len(runs) // 2]


def app_in_subprocess(quick: bool) -> list[dict]:
    import subprocess

    cmd = [sys.executable, __file__, "--app-only"] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def table(rows: list[dict], keys: list[str]) -> str:
    def fmt(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    head = "| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n"
    return head + "".join("| " + " | ".join(fmt(r[k]) for k in keys) + " |\n" for r in rows)


def _shown(row: dict) -> dict:
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results.md"))
    parser.add_argument("--app-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases = CASES[:-1][::2] if args.quick else CASES
    if args.app_only:  # a process of its own, as the window's: no JAX imported here
        print(json.dumps(run_app_cases(cases)))
        return
    cli = [] if args.quick else [_shown(r) for r in cli_rows()]
    step_rows = [_shown(steps(c)) for c in cases]  # each row printed as it comes: a long
    engine_rows = [_shown(engines(c)) for c in cases if c[-1] <= 80]  # run loses nothing
    app_rows = [_shown(r) for r in app_in_subprocess(args.quick)]
    text = ("## Steps (seconds; pipeline's last stage)\n\n" + table(step_rows, [
        "case", "equations", "visible", "engine", "trace", "graph", "layout", "text", "transfer",
        "message_mb", "scene", "paint", "after_trace", "total", "ratio", "export_svg_full"])
        + "\n## The app end to end\n\n" + table(app_rows, [
            "case", "equations", "trace_all_stages", "first_view", "first_ratio",
            "request_to_paint", "ratio", "max_gap_ms",
            "median_gap_ms", "ui_rss_mib"])
        + "\n## dot and the layered layout on the same first view\n\n" + table(engine_rows, [
            "case", "visible", "dot_s", "layered_s", "dot_area_Mpt2", "layered_area_Mpt2",
            "dot_edge_pt", "layered_edge_pt"]))
    if cli:
        text += ("\n## The command line against the floor (whole processes, median of 5, "
                 "taking turns)\n\n") + \
            table(cli, ["case", "equations", "floor", "trace", "trace_ratio", "svg", "svg_ratio",
                        "png", "png_vs_svg"])
    print(text)
    Path(args.out).write_text(f"# Large-graph benchmark\n\n`python benchmarks/large_graphs.py`"
                              f" on {os.cpu_count()} cores\n\n{text}")


if __name__ == "__main__":
    main()
