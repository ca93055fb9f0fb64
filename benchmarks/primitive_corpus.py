"""The whole primitive corpus against JAX and XLA, as a table for the README's *Checked
against JAX and XLA*: per program and pipeline, the graph's equations against those JAX's
``jaxprs_in_params`` finds, nodes off their text line, ``| compile`` against plain JAX, and
equations left out of the kernel map.

    python benchmarks/primitive_corpus.py [--markdown]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.data.primitives import PROGRAMS, pipelines  # noqa: E402
from tests.trace.corpus import check  # noqa: E402


def main() -> None:
    start = time.perf_counter()
    results = [check(p, pipeline) for p in PROGRAMS for pipeline in pipelines(p)]
    seconds = time.perf_counter() - start
    failed = [r for r in results if not r.ok]
    print(f"{len(PROGRAMS)} programs, {len(results)} checks, {len(failed)} failed, "
          f"{seconds:.0f} s")
    print("| check | holds on |")
    print("| --- | --- |")
    rows = [
        ("graph equations = JAX's (per nesting)", sum(not r.nesting_differs and
                                                      r.equations == r.jax_equations
                                                      for r in results)),
        ("every node on its line of JAX's text", sum(not r.unlinked for r in results)),
        ("`| compile` wherever plain JAX compiles", sum(r.compiled == r.plain_compiles
                                                       for r in results)),
        ("kernel map: no equation unmapped", sum(not r.unmapped and r.compiled
                                                 for r in results)),
        ("kernel map by tags (not op_name)", sum(r.map_via == "tag" for r in results)),
    ]
    for name, count in rows:
        print(f"| {name} | {count} / {len(results)} |")
    for r in failed:
        print(f"FAILED {r.name} [{r.pipeline}]: error={r.error[:80]!r} "
              f"nesting={r.nesting_differs[:2]} unlinked={r.unlinked[:3]} "
              f"compiled={r.compiled}/{r.plain_compiles} unmapped={r.unmapped[:3]}")


if __name__ == "__main__":
    main()
