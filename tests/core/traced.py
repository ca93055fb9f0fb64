"""Real stages for the pure core's tests, without jax: each trace a test asks for is read from
a JSON fixture committed under ``tests/data/stages/`` (the graph IR of every stage, and the
error), keyed by its inputs. Where jax is there and a fixture is missing, it is traced and
written (then commit it); ``tests/trace/test_fixtures.py`` re-traces every fixture and fails
when JAX now gives something else (regenerate: ``python -m tests.core.traced --refresh``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from jaxviz.core.errors import ErrorInfo
from jaxviz.core.ir.graph import stage_from_dict, to_dict

FOLDER = Path(__file__).resolve().parents[1] / "data" / "stages"
FILE = "<editor>"


def key(source: str, function: str, args: str, pipeline: str) -> str:
    text = json.dumps([source, function, args, pipeline])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def trace(sample=None, *, source=None, function=None, args=None, pipeline=None):
    """Stages and error, as ``tests/trace/helpers.trace`` gives them, from the fixture."""
    inputs = (source if source is not None else sample.source,
              function or sample.function,
              args if args is not None else sample.args,
              pipeline if pipeline is not None else sample.pipeline)
    path = FOLDER / f"{key(*inputs)}.json"
    if not path.exists():
        write(path, inputs)
    data = json.loads(path.read_text())
    stages = [stage_from_dict(s) for s in data["stages"]]
    return stages, ErrorInfo.from_dict(data["error"]) if data["error"] else None


def traced_data(inputs: tuple) -> dict:
    from jaxviz.trace.session import trace_source  # needs jax: only to make a fixture

    stages, error = trace_source(inputs[0], FILE, *inputs[1:])
    dicts = [to_dict(s) for s in stages]
    for d in dicts:
        d["timings"] = {}  # not part of what a test may depend on
    return {"inputs": list(inputs), "stages": dicts,
            "error": error.to_dict() if error else None}


def write(path: Path, inputs: tuple) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(traced_data(inputs), separators=(",", ":")) + "\n")


if __name__ == "__main__" and "--refresh" in sys.argv:
    import tests.conftest  # noqa: F401 - the tests' 4 CPU devices, set before jax starts

    for fixture in sorted(FOLDER.glob("*.json")):
        write(fixture, tuple(json.loads(fixture.read_text())["inputs"]))
        print(f"refreshed {fixture.name}")
