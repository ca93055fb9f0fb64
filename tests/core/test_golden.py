"""Golden exports: the DOT and the layout JSON of real stages, byte for byte against files
committed under ``tests/data/golden`` (what a change to the layout or the exporter does shows
up as a diff there). ``JAXVIZ_GOLDEN=write pytest tests/core/test_golden.py`` writes them."""

import json
import os
from pathlib import Path

import pytest

from jaxviz.core.export.images import export_bytes
from jaxviz.core.ir.graph import to_dict
from jaxviz.core.layout.engine import layout_model
from jaxviz.core.model.graph_model import GraphModel
from tests.core.traced import trace
from tests.data import samples as s

GOLDEN = Path(__file__).parents[1] / "data" / "golden"
CASES = {"polynomial_grad": (s.POLYNOMIAL, "grad"), "cond_vmap": (s.COND, "vmap"),
         "scan_grad": (s.SCAN, "grad")}


def exported(name: str) -> dict[str, str]:
    sample, pipeline = CASES[name]
    stages, error = trace(sample, pipeline=pipeline)
    assert error is None, error
    stage = stages[-1]
    layout = layout_model(GraphModel(stage.graph))
    layout.seconds = 0.0  # the one thing that differs run to run
    dot = export_bytes(layout, to_dict(stage), "dot").decode()
    data = json.loads(export_bytes(layout, to_dict(stage), "json"))
    data.pop("generator")
    data["stage"]["timings"] = {}
    return {"dot": "\n".join(dot.splitlines()[1:]) + "\n",  # the mark names the version
            "json": json.dumps(data, indent=1, sort_keys=True) + "\n"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_exports_match_the_golden_files(name):
    for fmt, text in exported(name).items():
        path = GOLDEN / f"{name}.{fmt}"
        if os.environ.get("JAXVIZ_GOLDEN") == "write":
            path.write_text(text)
        assert path.exists(), f"{path} is missing: JAXVIZ_GOLDEN=write writes it"
        assert text == path.read_text(), f"{name}.{fmt} differs from the golden file"
