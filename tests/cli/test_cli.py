"""The command line, run as a user runs it: output, files and exit codes."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pygraphviz
import pytest

EXAMPLES = "resources/examples"
POLY = f"{EXAMPLES}/01_polynomial.py"


def jaxviz(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "jaxviz", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("def f(x):\n    if x > 0:\n        return x\n    return -x\n")
    return path


def test_trace_prints_every_stage():
    r = jaxviz("trace", POLY, "-a", "2.0", "-p", "grad | grad | grad")
    assert r.returncode == 0, r.stderr
    assert "== grad(grad(grad(f)))" in r.stdout
    assert r.stdout.count("{ lambda") >= 4


def test_trace_batch_axes_keeps_jax_text_and_adds_the_axes():
    cond = [f"{EXAMPLES}/09_cond.py", "-f", "safe_log", "-a", "jnp.linspace(-1.0, 2.0, 8)",
            "-p", "vmap | jit"]
    plain, marked = jaxviz("trace", *cond), jaxviz("trace", *cond, "--batch-axes")
    assert marked.returncode == 0, marked.stderr
    listing = marked.stdout.split("batch axes of vmap(safe_log) against safe_log (size 8)")
    assert len(listing) == 2 and listing[0] in plain.stdout  # the text above: as without it
    assert "a f32[⟨8⟩]   batch: axis 0 (was f32[])" in listing[1]
    data = json.loads(jaxviz("trace", *cond, "--batch-axes", "--json").stdout)
    assert [("batch_axes" in s) for s in data["stages"]] == [False, True, True]  # jit of it too
    assert data["stages"][1]["batch_axes"]["counts"]["batched"] == 12


def test_trace_json():
    r = jaxviz("trace", POLY, "-f", "f", "-a", "2.0", "-p", "grad", "--json")
    data = json.loads(r.stdout)
    assert [s["title"] for s in data["stages"]] == ["f", "grad(f)"]
    assert set(data["stages"][1]) == {"title", "jaxpr", "equations", "printed_equations",
                                      "notes", "graph"}
    assert data["stages"][1]["equations"] == 18


def test_user_error_exits_2_with_line_and_fix(bad_file):
    r = jaxviz("trace", str(bad_file), "-a", "1.0", "-p", "jit")
    assert r.returncode == 2
    assert "line 2" in r.stderr and "jnp.where" in r.stderr
    assert "Traceback" not in r.stderr


def test_timeout_exits_3(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text("def f(x):\n    while True:\n        pass\n")
    r = jaxviz("trace", str(path), "-a", "1.0", "--timeout", "2")
    assert r.returncode == 3 and "longer than 2 s" in r.stderr


def test_crash_exits_3(tmp_path):
    path = tmp_path / "crash.py"
    path.write_text("import ctypes\nctypes.string_at(0)\ndef f(x):\n    return x\n")
    r = jaxviz("trace", str(path), "-a", "1.0")
    assert r.returncode == 3 and "SIGSEGV" in r.stderr


def test_user_prints_go_to_stderr(tmp_path):
    path = tmp_path / "p.py"
    path.write_text("print('hello')\ndef f(x):\n    return x * 2\n")
    r = jaxviz("trace", str(path), "-a", "1.0", "--json")
    assert "hello" in r.stderr and json.loads(r.stdout)


def test_user_bytes_that_are_not_utf8_are_shown_not_fatal(tmp_path):
    path = tmp_path / "b.py"
    path.write_text("import os, sys\ndef f(x):\n    sys.stdout.buffer.write(b'\\xff\\xfe bytes\\n')"
                    "\n    os.write(1, b'\\xff raw\\n')\n    return x * 2\n")
    r = jaxviz("trace", str(path), "-a", "1.0")
    assert r.returncode == 0, r.stderr
    assert "bytes" in r.stderr and "mul" in r.stdout


def test_export_formats_follow_the_suffix(tmp_path):
    for suffix in ("png", "svg", "pdf", "dot", "json"):
        out = tmp_path / f"g.{suffix}"
        r = jaxviz("export", POLY, "-a", "2.0", "-p", "grad", "-o", str(out))
        assert r.returncode == 0, r.stderr
        assert out.stat().st_size > 1000
    assert ET.parse(tmp_path / "g.svg").getroot().tag.endswith("svg")
    dot = pygraphviz.AGraph(str(tmp_path / "g.dot"))
    assert dot.number_of_nodes() == 20 + 1  # 18 equations, input, output, legend


def test_export_all_stages_and_options(tmp_path):
    out = tmp_path / "s.svg"
    r = jaxviz("export", POLY, "-a", "2.0", "-p", "grad | jit", "-o", str(out), "--stage",
               "all", "--rankdir", "LR", "--expand-all")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s_0.svg", "s_1.svg", "s_2.svg"]


def test_export_all_stages_writes_none_when_one_target_is_the_users(tmp_path):
    mine = tmp_path / "s_1.svg"
    mine.write_text("my own drawing")
    r = jaxviz("export", POLY, "-a", "2.0", "-p", "grad | jit", "-o", str(tmp_path / "s.svg"),
               "--stage", "all")
    assert r.returncode == 2 and "s_1.svg" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s_1.svg"]  # not s_0.svg either
    assert mine.read_text() == "my own drawing"


def test_export_to_a_missing_folder_exits_2(tmp_path):
    r = jaxviz("export", POLY, "-a", "2.0", "-o", str(tmp_path / "no" / "g.png"))
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_diff_text_json_and_html(tmp_path):
    r = jaxviz("diff", POLY, "-a", "2.0", "-p", "grad | jit")
    assert r.returncode == 0, r.stderr
    assert "unchanged 8 · changed 0 · added 10 · removed 0" in r.stdout
    assert "body is unchanged" in r.stdout
    r = jaxviz("diff", POLY, "-a", "2.0", "-p", "grad", "--json")
    data = json.loads(r.stdout)
    assert (data["added"], data["removed"], data["changed"], data["unchanged"]) == (10, 0, 0, 8)
    assert len(data["pairs"]) == 18
    page = tmp_path / "d.html"
    r = jaxviz("diff", POLY, "-a", "2.0", "-p", "grad", "--html", str(page))
    text = page.read_text()
    assert r.returncode == 0 and text.count("<svg") == 2 and "jaxpr text diff" in text


def test_devices_json():
    r = jaxviz("devices", "--host-devices", "3", "--json")
    data = json.loads(r.stdout)
    assert [d["id"] for d in data["devices"]] == [0, 1, 2]
    assert data["devices"][0]["platform"] == "cpu"


@pytest.fixture
def pmap_file(tmp_path):
    path = tmp_path / "pm.py"
    path.write_text("def normalise(x):\n    return x / lax.psum(x.sum(), 'i')\n")
    return path


def test_pmap_json_gives_each_devices_outputs_and_timing(pmap_file):
    r = jaxviz("pmap", str(pmap_file), "-a", "jnp.arange(1.0, 9.0).reshape(4, 2)",
               "--mode", "as-is", "--host-devices", "4", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["devices"] == 4 and data["wall_time"] > 0
    assert [d["index"] for d in data["outputs"]] == [0, 1, 2, 3]
    first = data["outputs"][0]["outputs"][0]
    assert first["shape"] == [2]
    assert first["values"] == pytest.approx([1 / 36, 2 / 36])  # numbers, not a preview string


def test_pmap_too_many_rows_exits_2(pmap_file):
    r = jaxviz("pmap", str(pmap_file), "-a", "jnp.ones((8, 2))", "--mode", "as-is",
               "--host-devices", "4")
    assert r.returncode == 2
    assert "8 rows onto 4 devices" in r.stderr and "--host-devices 8" in r.stderr


@pytest.mark.parametrize("stage", ["0", "1"])
def test_the_pmap_example_alone_runs_on_every_stage(stage):
    """Given the example file alone: its own call, its pipeline, the default mode."""
    r = jaxviz("pmap", f"{EXAMPLES}/05_pmap_matmul.py", "--host-devices", "4", "--stage", stage,
               "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["devices"] == 4 and data["function"] == "pmap(matrix_mul)"
    outputs = [d["outputs"][0] for d in data["outputs"]]
    assert all(o["shape"] == [300, 300] and o["summary"]["min"] == o["summary"]["max"] == 500.0
               for o in outputs)  # ones(300, 500) @ ones(500, 300)


def test_tracing_a_pmap_of_more_rows_than_devices_says_so():
    r = jaxviz("trace", f"{EXAMPLES}/05_pmap_matmul.py", "-a",
               "jnp.ones((5, 4, 4)), jnp.ones((5, 4, 4))", "-p", "pmap")  # the suite has 4
    assert r.returncode == 2
    assert "5 rows onto 4 devices" in r.stderr and "squeeze" not in r.stderr


def test_bench_json(pmap_file):
    path = pmap_file.parent / "mm.py"
    path.write_text("def mm(a, b):\n    return jnp.tanh(a @ b)\n")
    r = jaxviz("bench", str(path), "-a", "jnp.ones((64, 64)), jnp.ones((64, 64))", "--repeats",
               "5", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == {"eager", "jit", "compile_time", "speedup", "repeats"}
    assert data["eager"]["min"] <= data["eager"]["median"] <= data["eager"]["max"]
    assert data["compile_time"] > 0


def test_html_diff_holds_every_step(tmp_path):
    out = tmp_path / "steps.html"
    r = jaxviz("diff", POLY, "-a", "2.0", "-p", "grad | jit", "--html", str(out))
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert page.count("<svg") == 4 and "f → grad(f)" in page and "grad(f) → jit(grad(f))" in page
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")


def test_control_characters_from_user_code_reach_the_terminal_escaped(tmp_path):
    path = tmp_path / "esc.py"
    path.write_text('def f(x):\n    return x * 2\n\nglobals()["g\\x1b[31m\\n== forged"] = f\n')
    r = jaxviz("trace", str(path), "-f", "g\x1b[31m\n== forged", "-a", "2.0")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\n== forged" not in r.stdout
    assert r"g\x1b[31m\x0a== forged" in r.stdout


NAN_SOURCE = "def loss(w, x):\n    h = jnp.tanh(x @ w)\n    return jnp.sum(jnp.log(h + 1.0))\n"


def test_values_names_the_first_nan_and_its_line(tmp_path):
    path = tmp_path / "nan.py"
    path.write_text(NAN_SOURCE)
    r = jaxviz("values", str(path), "-a", "jnp.ones((4, 4)) * -10.0, jnp.ones((2, 4))",
               "-p", "grad")
    assert r.returncode == 0, r.stderr
    assert "first NaN/Inf: `log` of all zeros at line 3 gave 8 -inf" in r.stdout
    r = jaxviz("values", str(path), "-a", "jnp.ones((4, 4)) * -10.0, jnp.ones((2, 4))",
               "-p", "grad", "--json")
    data = json.loads(r.stdout)
    found = data["first_nonfinite"]
    assert found["line"] == 3 and data["names"][found["node"]].endswith("= log")
    assert data["outputs"][0]["nan"] == 16 and "arrays" not in data


def test_export_with_jax_nesting_groups_as_jax_nests(tmp_path):
    path = tmp_path / "nest.py"
    path.write_text("def layer(w, x):\n    return jnp.tanh(x @ w)\n\n\ndef loss(w, x):\n"
                    "    return jnp.sum(jnp.where(layer(w, x) > 0, 1.0, 0.0))\n")
    labels = {}
    for flag in ([], ["--jax-nesting"]):
        out = tmp_path / f"out{len(flag)}.json"
        r = jaxviz("export", str(path), "-f", "loss", "-a", "f32[4,4], f32[2,4]", "-p", "grad",
                   "-o", str(out), *flag)
        assert r.returncode == 0, r.stderr
        labels[bool(flag)] = {c["label"] for c in json.loads(out.read_text())["layout"]["clusters"]}
    assert "layer" in labels[False] and "jit _where" not in labels[False]
    assert labels[True] == {"jit _where"}


def test_export_coloured_by_values_paints_the_nan_red(tmp_path):
    from jaxviz.core.export.overlay import NONFINITE

    path = tmp_path / "nan.py"
    path.write_text(NAN_SOURCE)
    out = tmp_path / "values.json"
    r = jaxviz("export", str(path), "-a", "jnp.ones((4, 4)) * -10.0, jnp.ones((2, 4))", "-p",
               "grad", "--color-by", "values", "-o", str(out))
    assert r.returncode == 0, r.stderr
    layout = json.loads(out.read_text())["layout"]
    assert any(b["fill"] == NONFINITE for b in layout["nodes"].values())
    assert ["NaN or Inf", NONFINITE] in layout["overlay"]["entries"]


def test_text_reordering_characters_are_escaped_too():
    from jaxviz.cli.common import safe

    assert safe("loss\u202e)x(f\u2028== forged\n") == "loss\\u202e)x(f\\u2028== forged\n"
