"""Where the IR's time goes, for the shown stage: JAX's own printer (the jaxpr's text and the
variable names we keep identical to it), the same names found without printing, the graph
the first view is drawn from, and the text placed on it after the first view.

    python benchmarks/ir_cost.py

The cyclic collector is paused, as in the worker; each figure is the second of two runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.data.programs import MLP_NESTED, TRANSFORMER_FLAT  # noqa: E402

CASES = [("mlp grad ×400", MLP_NESTED, "mlp", "make(400), f32[16,32]", "grad"),
         ("transformer flat ×450", TRANSFORMER_FLAT, "transformer", "make(450), f32[16,32]", ""),
         ("transformer flat ×2300", TRANSFORMER_FLAT, "transformer", "make(2300), f32[16,32]",
          "")]


def measure(source: str, function: str, args: str, pipeline: str) -> dict:
    from jaxviz.core.ir.graph import gc_paused
    from jaxviz.trace.jaxpr_ir import add_text, unprinted_stage
    from jaxviz.trace.jaxpr_lines import jaxpr_text_and_names
    from jaxviz.trace.jaxpr_names import printer_names
    from jaxviz.trace.session import make_jaxpr, prepare

    prepared, error = prepare(source, "<bench>", function, args, pipeline)
    assert error is None, error
    plan = prepared.plans[-1]
    closed, notes, seconds = make_jaxpr(plan, prepared.static, "<bench>",
                                         prepared.static_names, prepared.namespace)
    with gc_paused():
        for _ in range(2):
            printer = _timed(jaxpr_text_and_names, closed)[1]
            names = _timed(printer_names, closed)[1]
            unprinted, graph = _timed(unprinted_stage, closed, plan.index, plan.title, "<bench>")
            text = _timed(add_text, unprinted)[1]
    return {"equations": unprinted.stage.equations, "trace": seconds, "printer": printer,
            "names": names, "graph": graph, "text": text}


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def main() -> None:
    print("| case | equations | trace | JAX's printer | names without printing | graph (names "
          "included) | text, after the first view |")
    print("|---|---|---|---|---|---|---|")
    for name, *case in CASES:
        r = measure(*case)
        print(f"| {name} | {r['equations']:,} | {r['trace']:.3f} | {r['printer']:.3f} | "
              f"{r['names']:.3f} | {r['graph']:.3f} | {r['text']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
