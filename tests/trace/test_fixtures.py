"""The IR fixtures the pure core is tested on (``tests/data/stages``) are what JAX traces now:
each is traced again and compared (timings aside). When JAX changes what it gives, this fails;
``python -m tests.core.traced --refresh`` writes them anew."""

import json

import pytest

from tests.core.traced import FOLDER, traced_data

FIXTURES = sorted(FOLDER.glob("*.json"))


def test_there_are_fixtures():
    assert len(FIXTURES) >= 20


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_a_fixture_is_what_jax_traces_now(path):
    stored = json.loads(path.read_text())
    fresh = json.loads(json.dumps(traced_data(tuple(stored["inputs"]))))
    assert fresh["error"] == stored["error"]
    assert len(fresh["stages"]) == len(stored["stages"])
    for now, then in zip(fresh["stages"], stored["stages"]):
        assert now == then, f"{then['title']}: JAX now traces it differently"
