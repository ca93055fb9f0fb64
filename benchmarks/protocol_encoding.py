"""JSON against msgpack for the worker protocol's biggest payload, a stage's graph IR.

    python benchmarks/protocol_encoding.py     # needs `pip install msgpack` for the comparison

For the benchmark's flat transformer of depth 600 (~26,000 equations): the bytes on the wire,
encode time in the worker, decode time in the window's reading thread (what holds its GIL),
median of 5.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jaxviz.core.ir.graph import to_dict  # noqa: E402
from jaxviz.trace.session import trace_source  # noqa: E402
from tests.data.programs import TRANSFORMER_FLAT  # noqa: E402


def timed(call, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    stages, error = trace_source(TRANSFORMER_FLAT, "<bench>", "transformer",
                                 "make(600), f32[16,32]", "")
    assert error is None, error
    data = to_dict(stages[-1])
    rows = [("JSON", lambda: json.dumps(data, separators=(",", ":")).encode(), json.loads)]
    try:
        import msgpack
        rows.append(("msgpack", lambda: msgpack.packb(data), msgpack.unpackb))
    except ImportError:
        print("msgpack is not installed: pip install msgpack for the comparison")
    print(f"{stages[-1].equations} equations")
    print("| encoding | bytes | encode (s) | decode (s) |\n| --- | --- | --- | --- |")
    for name, encode, decode in rows:
        wire = encode()
        seconds = timed(encode), timed(lambda wire=wire, decode=decode: decode(wire))
        print(f"| {name} | {len(wire):,} | {seconds[0]:.3f} | {seconds[1]:.3f} |")


if __name__ == "__main__":
    main()
