"""What running a stage on values costs: a 12-block transformer's grad evaluated equation by
equation (``Stages.values``) against JAX running the same function, in one run.

    python benchmarks/values_cost.py                 # d=256, 512 tokens, 12 blocks
    python benchmarks/values_cost.py --d 64 --tokens 128 --repeats 3

Each way runs in a fresh Python (median of ``--repeats``, taking turns), so that one way's
caches and arrays never count against another's:

- ``jit``: ``jax.jit(jax.grad(f))(params, x)``, the memory floor;
- ``eager``: the same under ``jax.disable_jit()``, op by op, the time floor (what the
  evaluator does too: one primitive at a time);
- ``values``: ``jaxviz.stages(f, params, x, pipeline="grad").values()``, its statistics of
  every equation included (the trace before it is not counted).

Memory is the peak resident set of the process past what it held once the arguments were
made (``ru_maxrss``), so JAX's own import and the arrays are not counted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import jax, jax.numpy as jnp
import jaxviz

WAY, DEPTH, D, TOKENS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])


def layer_norm(x):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / jnp.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-5)


def block(p, x):
    q, k, v = x @ p["q"], x @ p["k"], x @ p["v"]
    x = x + (jax.nn.softmax(q @ k.T / 8.0, axis=-1) @ v) @ p["o"]
    return x + jax.nn.gelu(layer_norm(x) @ p["w1"]) @ p["w2"]


def transformer(params, x):
    for p in params:
        x = block(p, layer_norm(x))
    return (x ** 2).mean()


keys = iter(jax.random.split(jax.random.key(0), 6 * DEPTH + 1))
params = [{n: jax.random.normal(next(keys), (D, D)) / D ** 0.5
           for n in ("q", "k", "v", "o", "w1", "w2")} for _ in range(DEPTH)]
x = jax.random.normal(next(keys), (TOKENS, D))
jax.block_until_ready((params, x))
if WAY == "values":
    stages = jaxviz.stages(transformer, params, x, pipeline="grad")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if WAY == "jit":
    jax.block_until_ready(jax.jit(jax.grad(transformer))(params, x))
elif WAY == "eager":
    with jax.disable_jit():
        jax.block_until_ready(jax.grad(transformer)(params, x))
else:
    result = stages.values()
    assert result["first_nonfinite"] is None
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": (peak - before) / 1024,
                  "equations": len(result["equations"]) if WAY == "values" else None}))
"""

WAYS = ("jit", "eager", "values")


def run_once(way: str, depth: int, d: int, tokens: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, way, str(depth), str(d), str(tokens)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(depth: int, d: int, tokens: int, repeats: int) -> dict[str, dict]:
    """Median seconds and peak memory of each way, taking turns."""
    runs: dict[str, list[dict]] = {w: [] for w in WAYS}
    for _ in range(repeats):
        for way in WAYS:
            runs[way].append(run_once(way, depth, d, tokens))
    return {w: {"seconds": statistics.median(r["seconds"] for r in rs),
                "peak_mb": statistics.median(r["peak_mb"] for r in rs),
                "equations": rs[0]["equations"]} for w, rs in runs.items()}


def table(found: dict[str, dict], label: str) -> str:
    jit, eager = found["jit"], found["eager"]
    rows = [f"{label}: {found['values']['equations']} equations evaluated",
            "| way | seconds | ÷ eager | peak MB past the arguments | ÷ jit |",
            "| --- | --- | --- | --- | --- |"]
    for way, r in found.items():
        rows.append(f"| {way} | {r['seconds']:.2f} | {r['seconds'] / eager['seconds']:.2f} | "
                    f"{r['peak_mb']:.0f} | {r['peak_mb'] / max(jit['peak_mb'], 1.0):.2f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    found = measure(a.depth, a.d, a.tokens, a.repeats)
    print(table(found, f"transformer grad, {a.depth} blocks, d={a.d}, {a.tokens} tokens"))


if __name__ == "__main__":
    main()
