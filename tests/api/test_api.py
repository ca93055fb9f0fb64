"""The Python API in the caller's own process and objects: stages equal to JAX's, exports,
the diff, the app opened on them, and inline pictures in a notebook run by a real kernel."""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

import jaxviz

ROOT = Path(__file__).resolve().parents[2]


@jax.tree_util.register_dataclass
@dataclass
class Linear:  # an equinox-style module: a pytree holding its own parameters
    w: jax.Array
    b: jax.Array

    def __call__(self, x):
        return x @ self.w + self.b


@jax.tree_util.register_dataclass
@dataclass
class MLP:
    layers: list

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = jax.nn.relu(layer(x))
        return self.layers[-1](x)


def _count(jaxpr) -> int:
    """Equations, nested ones included, a jaxpr used twice counted twice."""
    from jax.extend.core import jaxprs_in_params
    return sum(1 + sum(_count(sub) for sub in jaxprs_in_params(e.params)) for e in jaxpr.eqns)


def loss(model, x, y):
    return ((model(x) - y) ** 2).mean()


@pytest.fixture
def model():
    keys = jax.random.split(jax.random.key(0), 3)
    return MLP([Linear(jax.random.normal(k, (8, 8)), jnp.zeros(8)) for k in keys])


def test_every_stage_is_what_jax_makes(model):
    x, y = jnp.ones((4, 8)), jnp.zeros((4, 8))
    stages = jaxviz.stages(loss, model, x, y, pipeline="grad | jit")
    assert [s.title for s in stages] == ["loss", "grad(loss)", "jit(grad(loss))"]
    expected = [jax.make_jaxpr(loss)(model, x, y), jax.make_jaxpr(jax.grad(loss))(model, x, y),
                jax.make_jaxpr(jax.jit(jax.grad(loss)))(model, x, y)]
    assert [s.jaxpr for s in stages] == [str(e) for e in expected]
    assert stages[0].equations == _count(expected[0].jaxpr)
    lines = {n.line for n in stages[0].graph.walk_nodes() if n.kind == "eqn"}
    assert lines - {None}  # nodes know their lines in this very file


def test_abstract_arguments_and_vmap():
    def f(x, w):
        return jnp.sin(x @ w)

    spec = jax.ShapeDtypeStruct
    stages = jaxviz.stages(f, spec((16, 3), jnp.float32), spec((3, 2), jnp.float32),
                           pipeline="vmap(in_axes=(0, None))")
    assert stages[1].jaxpr == str(jax.make_jaxpr(jax.vmap(f, in_axes=(0, None)))(
        spec((16, 3), jnp.float32), spec((3, 2), jnp.float32)))
    axes = stages[1].batch_axes()  # x batched at 0, w not; sin of a [16,2] dot, batch 0
    assert stages[0].batch_axes() is None
    assert [axes.of(n.id).axis for n in stages[1].graph.nodes if n.kind != "eqn"] == [0, None, 0]
    assert axes.counts()["unknown"] == axes.counts()["ambiguous"] == 0


def test_export_and_diff(model, tmp_path):
    x, y = jnp.ones((4, 8)), jnp.zeros((4, 8))
    stages = jaxviz.stages(loss, model, x, y, pipeline="grad")
    svg = stages.export(tmp_path / "loss.svg")
    assert svg.read_text().count("<svg") == 1 and "jaxviz" in svg.read_text()
    diff = stages.diff(0, 1)
    assert diff.counts["added"] > 0 and "backward" in diff.summary
    assert diff._repr_html_().count("<svg") == 2
    (tmp_path / "mine.svg").write_text("<svg>mine</svg>")
    with pytest.raises(Exception, match="not an earlier export"):
        stages.export(tmp_path / "mine.svg")


def test_show_opens_the_window_on_the_stages(model, tmp_path, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    shot = tmp_path / "show.png"
    x, y = jnp.ones((4, 8)), jnp.zeros((4, 8))
    process = jaxviz.show(loss, model, x, y, pipeline="grad", block=False,
                          screenshot=str(shot))
    assert isinstance(process, subprocess.Popen)
    assert process.wait(timeout=120) == 0
    assert shot.stat().st_size > 10_000


def test_the_example_notebook_shows_svg_inline(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "resources" / "examples" / "from_your_code.ipynb", 4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    html = [out["data"].get("text/html", "") for cell in notebook.cells
            if cell.cell_type == "code" for out in cell.get("outputs", [])
            if out.get("output_type") == "execute_result"]
    assert any("<svg" in h and "grad(loss)" in h for h in html)
    assert any(h.count("<svg") >= 2 and "added" in h for h in html)  # the diff
    assert (tmp_path / "loss_grad.svg").exists()


def test_importing_jaxviz_does_not_import_jax():
    code = "import sys, jaxviz; assert 'jax' not in sys.modules; print(jaxviz.__all__)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_the_api_goes_below_the_jaxpr(tmp_path):
    import jax
    import jax.numpy as jnp

    import jaxviz

    def loss(w, x):
        return jnp.mean(jnp.tanh(x @ w) ** 2)

    s = jaxviz.stages(loss, jnp.ones((8, 4)), jnp.ones((2, 8)), pipeline="grad | jit | compile")
    assert [st.ir.dialect for st in s] == ["jaxpr", "jaxpr", "jaxpr", "hlo"]
    fusions = s.fusions()
    assert fusions["summary"]["unmapped"] == 0 and fusions["kernels"]
    cost = s.cost()
    xla = jax.jit(jax.grad(loss)).lower(jnp.ones((8, 4)), jnp.ones((2, 8))).compile()
    # within one [2,4] elementwise op: XLA simplified a multiply away
    assert abs(cost["ours_kept"]["flops"] - xla.cost_analysis()["flops"]) <= 8
    assert s.residuals(-1)["comparison"]["agree"]
    assert s.memory()["resident_bytes"] == (8 * 4 + 2 * 8) * 4
    out = s[2].export(tmp_path / "kernels.svg", color_by="fusion")
    assert "XLA kernel" in out.read_text()
