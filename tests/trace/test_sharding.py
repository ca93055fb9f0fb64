"""``jaxviz sharding`` against JAX itself, on 8 simulated CPU devices: a 2-layer MLP's grad
data-parallel (batch split) and model-parallel (weights split), and a shard_map ring.

Per kind of collective, the count and bytes jaxviz reports equal those a plain regex counts
in ``compiled.as_text()`` of the same program compiled by ``jax.jit``; every collective is
attributed to an equation or explained; the outputs' edge shardings equal
``compiled.output_shardings``. One subprocess (``sharding_cases.py``) computes every case.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from jaxviz.core.xla.collectives import KINDS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# "%x = f32[8,16]{1,0} all-reduce(", a tuple type "(f32[2], f32[3])" too; -done halves skipped
COLLECTIVE = re.compile(r"= (\([^=]*?\)|\S+) (" + "|".join(KINDS) + r")(?:-start)?\(")
ARRAY = re.compile(r"([a-z]+\d*)\[([\d,]*)\]")
ITEMSIZE = {"f32": 4, "bf16": 2, "f16": 2, "s32": 4, "f64": 8, "u32": 4, "pred": 1}


@pytest.fixture(scope="module")
def cases() -> dict:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    done = subprocess.run(
        [sys.executable, str(HERE / "sharding_cases.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def counted_by_regex(text: str) -> dict:
    """Per kind: (count, bytes of the results on one device), from the module's text."""
    found = {k: [0, 0] for k in KINDS}
    for type_text, kind in COLLECTIVE.findall(text):
        size = 0
        for dtype, dims in ARRAY.findall(
            type_text.split("{")[0] if "(" not in type_text else type_text
        ):
            n = 1
            for d in filter(None, dims.split(",")):
                n *= int(d)
            size += n * ITEMSIZE[dtype]
        found[kind][0] += 1
        found[kind][1] += size
    return found


def padded(spec: list | None, rank: int) -> list | None:
    if spec is None:
        return None
    dims = [[] if e is None else [e] if isinstance(e, str) else list(e) for e in spec]
    return dims + [[]] * (rank - len(dims))


@pytest.mark.parametrize("name", ["dp", "mp", "ring"])
def test_collectives_match_the_compiled_text(cases, name):
    ours, theirs = cases[name]["ours"], counted_by_regex(cases[name]["jax"]["text"])
    assert sum(c for c, _ in theirs.values()) > 0  # each case has collectives to find
    for kind in KINDS:
        assert [ours["by_kind"][kind]["count"], ours["by_kind"][kind]["bytes"]] == theirs[kind], (
            kind
        )


@pytest.mark.parametrize("name", ["dp", "mp", "ring"])
def test_every_collective_is_attributed_or_explained(cases, name):
    for c in cases[name]["ours"]["collectives"]:
        if c["via"] == "explained":
            assert c["reason"], c
        else:
            assert c["equation_names"] and all(c["source_lines"]), c


@pytest.mark.parametrize("name", ["dp", "mp", "ring"])
def test_output_edges_are_jaxs_output_shardings(cases, name):
    edges = [e for e in cases[name]["ours"]["edges"] if e["node"].startswith("out")]
    jax_outputs = cases[name]["jax"]["outputs"]
    assert len(edges) == len(jax_outputs) > 0
    for edge, spec in zip(edges, jax_outputs):
        rank = len(edge["axes"])
        assert edge["axes"] == padded(spec, rank), (edge, spec)


def test_data_parallel_sums_the_weight_gradients_over_data(cases):
    (reduce,) = cases["dp"]["ours"]["collectives"]
    assert (reduce["kind"], reduce["axes"], reduce["via"]) == ("all-reduce", ["data"], "tag")
    assert sorted(reduce["equation_names"]) == ["q = dot_general", "w = dot_general"]
    inputs = {e["name"]: e for e in cases["dp"]["ours"]["edges"] if e["node"][:2] == "in"}
    assert inputs["x"]["text"] == "f32[32,64] {data, –}" and inputs["x"]["kept"]


def test_model_parallel_reduces_the_second_matmul_over_model(cases):
    (reduce,) = cases["mp"]["ours"]["collectives"]
    assert (reduce["kind"], reduce["axes"], reduce["equation_names"]) == (
        "all-reduce",
        ["model"],
        ["h = dot_general"],
    )
    assert reduce["source_lines"] == [22]  # h @ w2 in 19_sharded_mlp.py


def test_ring_permutes_once_per_step_over_its_axis(cases):
    ring = cases["ring"]["ours"]
    assert ring["mesh"] == {"names": ["i"], "sizes": [8]}
    assert [c["kind"] for c in ring["collectives"]] == ["collective-permute"] * 7
    assert all(c["axes"] == ["i"] and c["bytes"] == 8 * 16 * 4 for c in ring["collectives"])
    body = [e for e in ring["edges"] if "/g0/e0/g0/" in e["node"]]  # jit, shard_map, body
    assert body and all(e["kind"] == "manual" for e in body)


def test_costs_say_per_device_beside_global(cases):
    costs = cases["dp"]["ours"]["costs"]
    assert costs["devices"] == 8
    # XLA counts one device's share: about an eighth of the whole program's FLOPs
    assert costs["flops"]["per_device"] < costs["flops"]["global"] / 4
    assert costs["memory"]["per_device"] > 0 and "one device" in costs["words"]["per_device"]


def test_what_if_names_the_collectives_that_differ(cases):
    diff = cases["what_if"]["what_if"]["diff"]
    assert [(c["kind"], c["axes"]) for c in diff["appear"]] == [("all-reduce", ["model"])]
    assert [(c["kind"], c["axes"]) for c in diff["disappear"]] == [("all-reduce", ["data"])]
    assert diff["bytes"] == {"before": 40960, "after": 2048}
    assert diff["memory_per_device"]["after"] < diff["memory_per_device"]["before"]


def test_a_sharding_constraint_is_told_apart_as_asked(cases):
    report = cases["constrained"]
    assert report["mesh"] == {"names": ["data", "model"], "sizes": [4, 2]}
    asked = [e for e in report["edges"] if e["asked"] is not None]
    assert [(e["name"], e["asked"], e["kept"]) for e in asked] == [
        ("e = sharding_constraint", [["data"], ["model"]], True)
    ]
    assert all(e["asked"] is None for e in report["edges"] if e["node"] in ("in0", "out0"))


def test_user_errors_name_the_fix(cases):
    said = cases["errors"]
    assert (
        "needs 16 devices; 8 are available" in said["too_big"]
        and "--host-devices 16" in said["too_big"]
    )
    assert "does not split over model (3 devices)" in said["divides"]
    assert "does not have" in said["no_axis"] and "--mesh" in said["no_axis"]
    assert "gives 2 PartitionSpecs for 3 arguments. Fix: one per argument" in said["count"]


def test_api_reports_a_jit_given_its_shardings():
    """``Stages.sharding()`` in this process (4 devices): shardings given as JAX takes them,
    and ``against`` another partitioning."""
    import jax
    import jax.numpy as jnp
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    import jaxviz

    mesh = jax.sharding.Mesh(jax.devices()[:4], ("data",))
    x = jax.ShapeDtypeStruct((8, 16), jnp.float32)
    w = jax.ShapeDtypeStruct((16, 4), jnp.float32)

    def f(w, x):
        return jnp.sum(x @ w)

    sharded = jax.jit(f, in_shardings=(NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))))
    report = jaxviz.stages(sharded, w, x).sharding(against=jaxviz.stages(jax.jit(f), w, x))
    assert [(c["kind"], c["axes"]) for c in report["collectives"]] == [("all-reduce", ["data"])]
    assert report["what_if"]["diff"]["disappear"][0]["kind"] == "all-reduce"


def _inputs(report: dict) -> dict:
    return {e["node"]: e for e in report["edges"] if e["node"].startswith("in")}


def test_an_unused_argument_keeps_the_others_in_line(cases):
    inputs = _inputs(cases["edges"]["unused"])
    assert inputs["in0"]["axes"] == [[]] and inputs["in2"]["axes"] == [[], []]
    assert inputs["in1"]["axes"] == [["data"], []] and inputs["in1"]["kept"]


def test_a_size_one_axis_asked_for_is_kept(cases):
    x = _inputs(cases["edges"]["size_one"])["in1"]
    assert x["asked"] == [["data"], ["model"]] and x["kept"]


def test_a_dimension_over_two_axes_lists_them_major_first(cases):
    x = _inputs(cases["edges"]["reordered"])["in1"]
    assert x["axes"] == [["model", "data"], []] and x["kept"]
