"""``jaxviz sharding`` as a user runs it: the examples on 8 simulated devices, a what-if,
and a mesh text that cannot be read."""

import json

from tests.cli.test_cli import jaxviz

MLP = "resources/examples/19_sharded_mlp.py"
RING = "resources/examples/20_ring_shard_map.py"
DP = "(P(), P()), P('data', None), P('data', None)"
MP = "(P(None, 'model'), P('model', None)), P(), P()"


def test_data_parallel_against_model_parallel():
    r = jaxviz(
        "sharding",
        MLP,
        "--host-devices",
        "8",
        "--mesh",
        "data=8",
        "--in-shardings",
        DP,
        "--what-if",
        f"in_shardings=({MP}), mesh='model=8'",
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "jit(grad(loss)) over the mesh data=8 (8 partitions)" in out
    assert "x                            f32[32,64] {data, –}" in out
    assert "appear    all-reduce over model 2,048 B for h = dot_general" in out
    assert "disappear all-reduce over data 40,960 B for q = dot_general, w = dot_general" in out
    assert "per device" in out and "global" in out


def test_ring_json_finds_the_mesh_in_the_program():
    r = jaxviz("sharding", RING, "--host-devices", "8", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["mesh"] == {"names": ["i"], "sizes": [8]}
    assert report["by_kind"]["collective-permute"] == {"count": 7, "bytes": 7 * 512}
    assert {c["source_lines"][0] for c in report["collectives"]} == {20}


def test_a_bad_mesh_says_how_to_write_one():
    r = jaxviz("sharding", MLP, "--mesh", "data:4", "--in-shardings", DP)
    assert r.returncode != 0
    assert "'data:4' is not NAME=SIZE" in r.stderr and "--mesh 'data=4,model=2'" in r.stderr


def test_an_export_coloured_by_communication(tmp_path):
    """The ring's seven collective-permutes, 512 B each, colour the loop that sends them."""
    out = tmp_path / "ring.json"
    r = jaxviz("export", RING, "-p", "jit | compile", "--host-devices", "8",
               "--color-by", "communication", "-o", str(out))
    assert r.returncode == 0, r.stderr
    layout = json.loads(out.read_text())["layout"]
    assert layout["overlay"]["title"] == "communication: collective bytes per device"
    labels = [e[0] for e in layout["overlay"]["entries"]]
    assert labels[0] == "0B or none" and any(label.endswith("kB") for label in labels)


def test_communication_shares_a_merged_collective_among_its_equations():
    from jaxviz.core.export.overlay import communication

    merged = [{"equations": ["e1", "e2"], "bytes": 100}, {"equations": ["e2"], "bytes": 10}]
    assert communication(merged) == {"e1": 50.0, "e2": 60.0}


def test_a_legend_of_one_value_says_it_once():
    from jaxviz.core.export.overlay import _heat_fills

    _, entries = _heat_fills({"e1": 20480.0, "e2": 20480.0}, "communication")
    assert [e[0] for e in entries] == ["0B or none", "20.5kB"]


def test_a_mesh_that_renames_the_programs_own_is_refused():
    r = jaxviz("sharding", RING, "--host-devices", "8", "--mesh", "data=8")
    assert r.returncode == 2 and "its own mesh (i=8)" in r.stderr and "--mesh 'i=8'" in r.stderr


def test_one_device_says_to_simulate_more():
    r = jaxviz("sharding", RING, "--host-devices", "1")
    assert r.returncode == 0 and "the mesh has 1 device" in r.stdout
    assert "--host-devices 8" in r.stdout
