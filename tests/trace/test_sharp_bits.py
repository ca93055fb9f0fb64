"""The tutorial's sharp bits on the user's code: purity notes on every trace, and why jit
traces again, checked against JAX's own cache behaviour."""

import json
import subprocess
import sys

import jax.numpy as jnp

from jaxviz.trace.retrace import explain_retraces
from tests.trace.helpers import trace

IMPURE = """
TABLE = jnp.arange(300_000.0)
counter = 0

def impure(x):
    global counter
    counter += 1
    print("tracing with", x)
    jax.debug.print("x = {}", x)
    return (x * TABLE[:3]).sum()

def pure(x, table):
    return (x * table[:3]).sum()
"""


def _kinds(stage):
    return {n["kind"]: n for n in stage.notes}


def test_impure_code_gets_its_notes():
    stages, error = trace(source=IMPURE, function="impure", args="jnp.ones(3)", pipeline="")
    assert error is None, error
    notes = _kinds(stages[0])
    assert set(notes) == {"constant", "print", "global", "effect"}
    assert notes["print"]["line"] == 8 and "jax.debug.print" in notes["print"]["hint"]
    assert "float32[300000]" in notes["constant"]["message"]
    assert "1.1 MiB" in notes["constant"]["message"] and notes["constant"]["line"] == 10
    assert "'counter'" in notes["global"]["message"]


def test_a_pure_function_has_no_notes():
    stages, error = trace(source=IMPURE, function="pure", args="jnp.ones(3), jnp.ones(5)",
                          pipeline="grad")
    assert error is None and all(s.notes == [] for s in stages)


def scale(x, n=2):
    return x * n


def test_retrace_verdicts_follow_jax_cache():
    x3, x4 = jnp.ones(3), jnp.ones(4)
    calls = [((x3,), {}), ((x3,), {}), ((x4,), {}), ((x4.astype(jnp.int32),), {}),
             ((x4,), {"n": 3}), ((x4,), {"n": 3}), ((2.0,), {})]
    verdicts = explain_retraces(scale, [(list(a), k, repr(a)) for a, k in calls],
                                static_argnames=["n"])
    assert [v["traced"] for v in verdicts] == [True, False, True, True, True, False, True]
    assert "new shape for x" in verdicts[2]["reason"]
    assert "new dtype for x: int32" in verdicts[3]["reason"]
    assert "static argument n is 3, before 2" in verdicts[4]["reason"]
    assert "TRACING CACHE MISS" in verdicts[2]["jax"] and "f32[4]" in verdicts[2]["jax"]
    assert verdicts[1]["jax"] == ""
    assert "retrace.py" not in verdicts[2]["jax"]  # the call site is the user's list, not ours
    assert "call 3 of your list" in verdicts[2]["jax"], verdicts[2]["jax"]


def test_the_retrace_command(tmp_path):
    path = tmp_path / "shapes.py"
    path.write_text("def scale(x, n=2):\n    return x * n\n")
    r = subprocess.run([sys.executable, "-m", "jaxviz", "retrace", str(path), "-a",
                        "jnp.ones(3)", "-a", "jnp.ones(3)", "-a", "jnp.ones(5)", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    calls = json.loads(r.stdout)["calls"]
    assert [c["traced"] for c in calls] == [True, False, True]
    assert "float32[5]" in calls[2]["reason"]


def test_effects_are_marked_on_their_nodes_and_jit_explains_dead_code():
    from jaxviz.core.diff.stages import diff_stages
    from jaxviz.core.model.graph_model import GraphModel

    source = IMPURE + "\ndef wasteful(x):\n    unused = jnp.sin(x)\n    return x * 2.0\n"
    stages, _ = trace(source=source, function="impure", args="jnp.ones(3)", pipeline="")
    model = GraphModel(stages[0].graph)
    labels = [n.lines[0] for n in model.visible().nodes.values() if n.kind == "eqn"]
    assert any(label.startswith("⚡ debug_print") for label in labels)
    stages, _ = trace(source=source, function="wasteful", args="jnp.ones(3)", pipeline="jit")
    summary = diff_stages(stages[0], stages[1]).summary
    assert "dead-code elimination drops the 1 equation" in summary and "sin" in summary
