"""The user's own package: relative and absolute imports, from any current folder, as FILE,
pkg.module:function and with --path; a missing module says where jaxviz looked."""

import json
import os
import subprocess
import sys

import pytest

ARGS = "jnp.ones((3, 3)), jnp.ones((2, 3))"


@pytest.fixture
def project(tmp_path):
    pkg = tmp_path / "proj" / "mypkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text("import jax.numpy as jnp\n\ndef dense(w, x):\n"
                                   "    return jnp.tanh(x @ w)\n")
    (pkg / "train.py").write_text("from .layers import dense\n"
                                  "from mypkg.layers import dense as dense_again\n\n"
                                  "def loss(w, x):\n"
                                  "    return dense_again(w, dense(w, x)).sum()\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return tmp_path / "proj", elsewhere


def jaxviz(cwd, *args):
    return subprocess.run([sys.executable, "-m", "jaxviz", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=120)


def expected_texts():
    import jax
    import jax.numpy as jnp

    def dense(w, x):
        return jnp.tanh(x @ w)

    def loss(w, x):
        return dense(w, dense(w, x)).sum()

    w, x = jnp.ones((3, 3)), jnp.ones((2, 3))
    return [str(jax.make_jaxpr(loss)(w, x)), str(jax.make_jaxpr(jax.grad(loss))(w, x))]


def test_a_file_inside_a_package_traces_from_another_folder(project):
    root, elsewhere = project
    r = jaxviz(elsewhere, "trace", str(root / "mypkg" / "train.py"), "-a", ARGS, "-p", "grad",
               "--json")
    assert r.returncode == 0, r.stderr
    assert [s["jaxpr"] for s in json.loads(r.stdout)["stages"]] == expected_texts()


def test_module_and_function_with_path(project):
    root, elsewhere = project
    r = jaxviz(elsewhere, "trace", "mypkg.train:loss", "--path", str(root), "-a", ARGS,
               "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["stages"][0]["jaxpr"] == expected_texts()[0]
    r = jaxviz(root, "export", "mypkg.train:loss", "-a", ARGS, "-o", str(elsewhere / "g.svg"))
    assert r.returncode == 0, r.stderr
    assert (elsewhere / "g.svg").read_text().count("<svg") == 1


def test_a_module_that_is_not_found_says_where_jaxviz_looked(project):
    root, elsewhere = project
    r = jaxviz(elsewhere, "trace", "mypkg.train:loss", "-a", ARGS)
    assert r.returncode == 2 and "--path" in r.stderr and str(elsewhere) in r.stderr
    (root / "uses_missing.py").write_text("import notinstalled\n\ndef f(x):\n    return x\n")
    r = jaxviz(elsewhere, "trace", str(root / "uses_missing.py"), "-a", "1.0")
    assert r.returncode == 2
    assert "No module named 'notinstalled'" in r.stderr and str(root) in r.stderr
    assert "--path" in r.stderr and "line 1" in r.stderr


def test_the_app_opens_a_module_of_a_package(project, tmp_path, qapp):
    root, elsewhere = project
    shot = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JAXVIZ_HOME=str(tmp_path / "home"))
    r = subprocess.run([sys.executable, "-m", "jaxviz", "mypkg.train:loss", "--path", str(root),
                        "-a", ARGS, "-p", "grad", "--screenshot", str(shot)], cwd=elsewhere,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    session = json.loads((tmp_path / "home" / "session.json").read_text())
    assert session["file"].endswith("train.py") and session["function"] == "loss"
    assert not session["trace_in_flight"]  # the trace came back (and was not an error)
    assert shot.stat().st_size > 10_000


def test_a_path_that_loops_or_is_missing_is_told_plainly(tmp_path):
    loop = tmp_path / "a"
    loop.symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(loop)
    example = "resources/examples/01_polynomial.py"
    for given, words in ((loop, "leads back to itself"), (tmp_path / "none", "no such folder")):
        r = subprocess.run([sys.executable, "-m", "jaxviz", "trace", example, "-a", "2.0",
                            "--path", str(given)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr


def test_import_jaxviz_from_the_folder_that_holds_a_clone_named_jaxviz(tmp_path):
    """From the folder above a clone named ``jaxviz``, that folder (no ``__init__.py``) must
    not shadow the installed package as an empty namespace package."""
    (tmp_path / "jaxviz").mkdir()
    r = subprocess.run([sys.executable, "-c", "import jaxviz; print(jaxviz.stages.__name__)"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "stages", r.stderr
