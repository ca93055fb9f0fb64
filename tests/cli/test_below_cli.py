"""``jaxviz fusions / cost / memory / residuals`` and ``export --color-by``, as a user runs
them."""

import json
import subprocess
import sys

from tests.cli.test_cli import jaxviz

MLP = "resources/examples/17_below_the_jaxpr.py"
ARGS = ["-f", "loss", "-a", "params, f32[64,32], f32[64,8]", "-p", "grad | jit"]


def test_fusions_json_places_every_equation():
    r = jaxviz("fusions", MLP, *ARGS, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["compiled"] == "compile(jit(grad(loss)))"
    assert report["summary"]["unmapped"] == 0
    assert sum(report["summary"].values()) == len(report["equations"]) == 50
    assert any(k["kind"] == "kLoop" and len(k["equations"]) > 3
               for k in report["kernels"].values())


def test_cost_prints_ours_beside_xla():
    r = jaxviz("cost", MLP, *ARGS)
    assert r.returncode == 0, r.stderr
    assert "XLA cost_analysis" in r.stdout and "ours, XLA kept" in r.stdout
    assert "7.84M" in r.stdout  # the same FLOPs by both counts


def test_memory_and_residuals_name_the_inputs():
    r = jaxviz("memory", MLP, *ARGS)
    assert r.returncode == 0, r.stderr
    assert "XLA memory_analysis: arguments 97.31kB" in r.stdout
    r = jaxviz("residuals", MLP, "-f", "loss_checkpointed", "-a",
               "params, f32[64,32], f32[64,8]", "-p", "grad")
    assert r.returncode == 0, r.stderr
    assert "input params[1]['w']" in r.stdout and "listings agree" in r.stdout


def test_residuals_without_a_grad_say_what_to_add():
    r = jaxviz("residuals", MLP, "-f", "loss", "-a", "params, f32[64,32], f32[64,8]")
    assert r.returncode != 0
    assert "grad" in r.stderr and "Traceback" not in r.stderr


def test_export_carries_the_overlay_and_its_legend(tmp_path):
    out = tmp_path / "kernels.svg"
    r = jaxviz("export", MLP, *ARGS, "--color-by", "fusion", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "(jit(grad(loss)))" in r.stdout  # the compiled jaxpr stage, not the HLO one
    svg = out.read_text()
    assert "XLA kernel (fusion)" in svg and "multiply_add_fusion" in svg


def test_export_of_a_pipeline_ending_in_compile_writes_the_last_stage(tmp_path):
    out = tmp_path / "x.svg"
    done = subprocess.run(
        [sys.executable, "-m", "jaxviz", "export", "resources/examples/17_below_the_jaxpr.py",
         "-f", "loss", "-a", "params, f32[64,32], f32[64,8]", "-p", "grad | jit | compile",
         "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "compile(jit(grad(loss)))" in done.stdout and out.stat().st_size > 1000
