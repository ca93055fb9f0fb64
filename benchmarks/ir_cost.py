"""Where the IR's time goes: JAX's own printer (the jaxpr's text and the variable names we
keep identical to it) against the rest of our graph building, for the shown stage.

    python benchmarks/ir_cost.py

The cyclic collector is paused, as in the worker; each figure is the second of two runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from models import MLP_NESTED, TRANSFORMER_FLAT  # noqa: E402

CASES = [("mlp grad ×400", MLP_NESTED, "mlp", "make(400), f32[16,32]", "grad"),
         ("transformer flat ×450", TRANSFORMER_FLAT, "transformer", "make(450), f32[16,32]", ""),
         ("transformer flat ×2300", TRANSFORMER_FLAT, "transformer", "make(2300), f32[16,32]",
          "")]


def measure(source: str, function: str, args: str, pipeline: str) -> dict:
    from jaxviz.core.ir import gc_paused
    from jaxviz.trace.jaxpr_ir import jaxpr_text_and_names
    from jaxviz.trace.session import _make_jaxpr, build_stage, prepare

    prepared, error = prepare(source, "<bench>", function, args, pipeline)
    assert error is None, error
    plan = prepared.plans[-1]
    closed, notes, seconds = _make_jaxpr(plan, prepared.static, "<bench>",
                                         prepared.static_names, prepared.namespace)
    with gc_paused():
        for _ in range(2):
            start = time.perf_counter()
            jaxpr_text_and_names(closed)
            printer = time.perf_counter() - start
            start = time.perf_counter()
            stage = build_stage(closed, plan, "<bench>", notes, seconds)
            whole = time.perf_counter() - start
    return {"equations": stage.equations, "trace": seconds, "ir": whole, "printer": printer,
            "ours": whole - printer}


def main() -> None:
    print("| case | equations | trace | IR | JAX's printer | our graph |")
    print("|---|---|---|---|---|---|")
    for name, *case in CASES:
        r = measure(*case)
        print(f"| {name} | {r['equations']:,} | {r['trace']:.3f} | {r['ir']:.3f} | "
              f"{r['printer']:.3f} | {r['ours']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
