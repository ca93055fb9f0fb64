"""The device panel, driven offscreen: devices, host device count, pmap, timing."""

from tests.data import samples as s

WAIT = 60_000


def test_device_list_and_host_device_setting(window, qtbot):
    panel = window.devices
    qtbot.waitUntil(lambda: panel.table.rowCount() == 4, timeout=WAIT)  # the app's default
    text_before = window.editor.toPlainText()
    panel.host_devices.setValue(2)
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        panel.apply_btn.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=WAIT)
    assert window.editor.toPlainText() == text_before  # the session survives the restart
    assert window.session.host_devices == 2


def test_pmap_run_and_its_graph(window, qtbot):
    window.editor.setPlainText("def normalise(x):\n    return x / lax.psum(x.sum(), 'i')\n")
    window.function.setCurrentText("normalise")
    window.pipeline.set_text("")  # pmap runs the stage shown: here the function itself
    window.args.setText("jnp.arange(1.0, 9.0)")
    panel = window.devices
    panel.mode.setCurrentText("split")
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                          check_params_cb=lambda req, resp: type(resp).__name__ == "PmapResult"):
        panel.run_pmap_btn.click()
    html = panel.pmap_out.toPlainText()
    assert "4 devices" in html and "cpu:3" in html
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        panel.graph_btn.click()
    assert window.set.stages[-1].title.startswith("pmap(normalise)")
    qtbot.waitUntil(lambda: any(i.box.lines[0].startswith("psum")
                                for i in window.graph.items_by_id.values()), timeout=WAIT)


def test_pmap_error_is_shown(window, qtbot):
    window.editor.setPlainText(s.PMAP_MATMUL.source)
    window.args.setText("jnp.ones((8, 2, 2)), jnp.ones((8, 2, 2))")
    window.devices.mode.setCurrentText("as-is")
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                          check_params_cb=lambda req, resp: type(req).__name__ == "PmapRequest"):
        window.devices.run_pmap_btn.click()
    assert "rows onto 4 devices" in window.devices.pmap_out.toPlainText()


def test_timing_chart(window, qtbot):
    window.editor.setPlainText("def mm(a, b):\n    return jnp.tanh(a @ b)\n")
    window.function.setCurrentText("mm")
    window.pipeline.set_text("")
    window.args.setText("jnp.ones((32, 32)), jnp.ones((32, 32))")
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                          check_params_cb=lambda req, resp: type(resp).__name__ == "BenchResult"):
        window.devices.bench_btn.click()
    assert "compile" in window.devices.bench_text.text()
    assert [name for name, _, _ in window.devices.chart.rows] == ["eager", "jit"]


def test_timing_and_pmap_follow_the_pipeline(window, qtbot):
    """The cond under vmap: timed and pmapped as vmap(safe_log) on the batched arguments
    (the un-mapped function on them fails: "Pred must be a scalar")."""
    from jaxviz.core.examples import read_examples

    example = next(e for e in read_examples() if e.title.startswith("A cond, and what vmap"))
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.files.load_example(example)
    panel = window.devices
    assert "vmap(safe_log)" in panel.runs_what.text() or "jit(" in panel.runs_what.text()
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                          check_params_cb=lambda req, resp: type(req).__name__ == "BenchRequest"):
        panel.bench_btn.click()
    assert panel.bench_text.text().startswith("vmap(safe_log): eager"), panel.bench_text.text()
    panel.mode.setCurrentText("split")
    with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                          check_params_cb=lambda req, resp: type(req).__name__ == "PmapRequest"):
        panel.run_pmap_btn.click()
    assert "pmap(jit(vmap(safe_log))) on 4 devices" in panel.pmap_out.toPlainText()
    assert window.editor.error_line is None  # a device run marks no line of the code


def test_the_pmap_example_runs_with_the_default_inputs_on_each_stage(window, qtbot):
    """Examples → Matrix multiply under pmap, Run pmap as it opens, on each stage: the first
    stage is split as the pipeline's pmap maps it, the pmap stage runs as it is."""
    from jaxviz.core.examples import read_examples

    example = next(e for e in read_examples() if e.title == "Matrix multiply under pmap")
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.files.load_example(example)
    panel = window.devices
    assert panel.mode.currentText() == "split"
    for stage in range(len(window.set.stages)):
        window.results.show_stage(stage)
        with qtbot.waitSignal(window.tracer.finished, timeout=WAIT,
                              check_params_cb=lambda req, resp: type(req).__name__ ==
                              "PmapRequest"):
            panel.run_pmap_btn.click()
        text = panel.pmap_out.toPlainText()
        assert "pmap(matrix_mul) on 4 devices" in text, (stage, text)
        assert "Error" not in text and "pmap(pmap" not in text


def test_old_results_go_with_another_stage_or_example(window, qtbot):
    from jaxviz.core.examples import read_examples

    examples = {e.title: e for e in read_examples()}
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.files.load_example(examples["Matrix multiply under pmap"])
    panel = window.devices
    panel.pmap_out.setPlainText("an old pmap error")
    window.results.show_stage(0)
    assert panel.pmap_out.toPlainText() == ""  # it was another stage's
    panel.retrace.out.setPlainText("an old retrace answer")
    with qtbot.waitSignal(window.graphShown, timeout=WAIT):
        window.files.load_example(examples["Polynomial under grad"])
    assert panel.retrace.out.toPlainText() == ""


def test_a_timing_value_is_written_past_its_whisker():
    from jaxviz.ui.device_panel import value_x

    row = {"median": 1.0, "min": 0.9, "max": 3.0}  # a slow outlier: the whisker is long
    assert value_x(row, top=3.0, width=300.0, left=48.0) >= 48.0 + 300.0
