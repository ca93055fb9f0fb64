"""The command line against the floor: whole processes, median of 5, taking turns, in one run.

    python benchmarks/cli_cost.py            # the table, printed (large_graphs.py includes it)

The floor is what JAX itself costs: a fresh Python that imports jax, runs the user's file and
traces the pipeline's last stage with ``jax.make_jaxpr``. Against it: ``jaxviz trace`` (the
text of every stage), ``jaxviz export -o x.svg`` and ``-o x.png`` (the last stage's first view).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.data.programs import MLP_NESTED, TRANSFORMER_FLAT, TRANSFORMER_NESTED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
JAXVIZ = [sys.executable, "-m", "jaxviz"]
PRELUDE = "import jax\nimport jax.numpy as jnp\nfrom jax import lax\n"
POLY = "def f(x):\n    return 4 * x**3 + 3 * x**2 + 2 * x + 1\n"
X = "jax.ShapeDtypeStruct((16, 32), jnp.float32)"

# (name, source, function, jaxviz args, the same args for the floor, pipeline)
CASES = [
    ("polynomial grad", POLY, "f", "2.0", "2.0", "grad"),
    ("mlp grad ×80", MLP_NESTED, "mlp", "make(80), f32[16,32]", f"make(80), {X}", "grad"),
    ("transformer grad ×12", TRANSFORMER_NESTED, "transformer", "make(12), f32[16,32]",
     f"make(12), {X}", "grad"),
    ("transformer flat ×120", TRANSFORMER_FLAT, "transformer", "make(120), f32[16,32]",
     f"make(120), {X}", ""),
    ("transformer flat ×450", TRANSFORMER_FLAT, "transformer", "make(450), f32[16,32]",
     f"make(450), {X}", ""),
    ("transformer flat ×2300", TRANSFORMER_FLAT, "transformer", "make(2300), f32[16,32]",
     f"make(2300), {X}", ""),
]

FLOOR = """
import sys
import jax
import jax.numpy as jnp
from jax import lax
namespace = {"jax": jax, "jnp": jnp, "lax": lax}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), namespace)
f = namespace[sys.argv[2]]
args = eval("(" + sys.argv[3] + ",)", namespace)
jaxpr = jax.make_jaxpr(jax.grad(f) if sys.argv[4] == "grad" else f)(*args)
print(len(jaxpr.eqns))
"""


def _seconds(cmds: dict[str, list[str]], runs: int = 5) -> tuple[dict[str, float], str]:
    """The median wall time of each command over ``runs`` rounds, the commands taking turns
    within each round (this machine's speed drifts by a third from one minute to the next:
    run one after the other, a slow minute would fall on one command only), and what the
    first command printed last."""
    times: dict[str, list[float]] = {name: [] for name in cmds}
    printed = ""
    for _ in range(runs):
        for name, cmd in cmds.items():
            start = time.perf_counter()
            done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
            printed = done.stdout if name == next(iter(cmds)) else printed
    return {name: statistics.median(t) for name, t in times.items()}, printed


def row(case, folder: Path) -> dict:
    name, source, function, args, floor_args, pipeline = case
    path = folder / f"{function}_{abs(hash(name))}.py"
    path.write_text(PRELUDE + source)
    common = [str(path), "-f", function, "-a", args] + (["-p", pipeline] if pipeline else [])
    t, printed = _seconds({
        "floor": [sys.executable, "-c", FLOOR, str(path), function, floor_args, pipeline],
        "trace": JAXVIZ + ["trace"] + common,
        "svg": JAXVIZ + ["export"] + common + ["-o", str(folder / "x.svg"), "--force"],
        "png": JAXVIZ + ["export"] + common + ["-o", str(folder / "x.png"), "--force"]})
    return {"case": name, "equations": int(printed.split()[-1]), "floor": t["floor"],
            "trace": t["trace"], "trace_ratio": t["trace"] / t["floor"], "svg": t["svg"],
            "svg_ratio": t["svg"] / t["floor"], "png": t["png"], "png_vs_svg": t["png"] / t["svg"]}


def cli_rows(cases=CASES) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        return [row(case, Path(folder)) for case in cases]


if __name__ == "__main__":
    for case in CASES[: int(sys.argv[1])] if len(sys.argv) > 1 else CASES:
        with tempfile.TemporaryDirectory() as tmp:
            print(row(case, Path(tmp)), flush=True)
