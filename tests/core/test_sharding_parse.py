"""Reading XLA's shardings, device groups and collectives into mesh axes (text only, no jax):
every form XLA prints, async pairs counted once, and the plain errors of a bad mesh."""

import pytest

from jaxviz.core.pipeline_spec import (
    PipelineError,
    parse_pipeline,
    parse_shardings,
    with_jit_options,
)
from jaxviz.core.xla.collectives import by_kind, collectives, type_bytes
from jaxviz.core.xla.hlo_sharding import dim_axes, group_axes, groups_of, iota, parse_sharding
from jaxviz.core.xla.hlo_text import parse_module
from jaxviz.core.xla.mesh import MeshError, axes_text, check_devices, check_divides, parse_mesh
from jaxviz.core.xla.sharding_diff import parse_what_if

MESH = parse_mesh("data=4,model=2")


def test_iota_reshapes_and_transposes_as_numpy_would():
    assert iota([4, 2]) == list(range(8))
    assert iota([4, 2], [1, 0]) == [0, 2, 4, 6, 1, 3, 5, 7]  # arange(8).reshape(4,2).T


@pytest.mark.parametrize(
    "text, axes",
    [
        ("{devices=[4,1,2]<=[8] last_tile_dim_replicate}", [("data",), ()]),
        ("{devices=[1,2,4]<=[4,2]T(1,0) last_tile_dim_replicate}", [(), ("model",)]),
        ("{devices=[2,1,4]<=[4,2]T(1,0) last_tile_dim_replicate}", [("model",), ()]),
        ("{devices=[4,2]<=[8]}", [("data",), ("model",)]),
        ("{devices=[2,4]0,2,4,6,1,3,5,7}", [("model",), ("data",)]),
        ("{replicated}", [(), ()]),
        ("{manual}", None),
        ("{maximal device=0}", None),
    ],
)
def test_shardings_become_mesh_axes_per_dimension(text, axes):
    (tiling,) = parse_sharding(text)
    assert dim_axes(tiling, 2, MESH) == axes


def test_a_tuple_sharding_has_one_tiling_per_element():
    tilings = parse_sharding("{{replicated}, {devices=[8,1]<=[8]}}")
    assert [dim_axes(t, 2, MESH) for t in tilings] == [[(), ()], [("data", "model"), ()]]


@pytest.mark.parametrize(
    "text, axes, count",
    [
        ("{{0,1},{2,3},{4,5},{6,7}}", ("model",), 4),
        ("[2,4]<=[4,2]T(1,0)", ("data",), 2),
        ("mesh['axis_0'=4,'axis_1'=1,'axis_2'=2] {'axis_0'}", ("data",), 2),
        (
            "mesh['axis_0'=1,'axis_1'=2,'axis_2'=4], device_ids=([4,2]T(1,0)) {'axis_1'}",
            ("model",),
            4,
        ),
        ("{}", ("data", "model"), 1),
        ("{{0,2},{2,4},{4,6},{6,0}}", ("data",), 4),  # source_target_pairs of a ring over data
    ],
)
def test_device_groups_become_the_axes_they_run_over(text, axes, count):
    groups = groups_of(text, 8)
    assert group_axes(groups, MESH) == axes and len(groups) == count


ASYNC = """HloModule m, num_partitions=8

ENTRY %main (p: f32[8,16]) -> f32[32,16] {
  %p = f32[8,16]{1,0} parameter(0)
  %ag-start = (f32[8,16], f32[32,16]) all-gather-start(%p), channel_id=1, \
replica_groups={{0,2,4,6},{1,3,5,7}}, dimensions={0}, frontend_attributes={jaxviz_eqn="e0"}
  %ag-done = f32[32,16]{1,0} all-gather-done(%ag-start)
  %cp = f32[32,16]{1,0} collective-permute(%ag-done), channel_id=2, \
source_target_pairs={{0,1},{1,0}}
  ROOT %ar = f32[32,16]{1,0} all-reduce(%cp), channel_id=3, replica_groups={}, to_apply=%add
}
"""


def test_an_async_pair_counts_once_with_the_done_halfs_result():
    found = collectives(parse_module(ASYNC), MESH, 8)
    assert [(c["kind"], c["bytes"], c["axes"]) for c in found] == [
        ("all-gather", 32 * 16 * 4, ["data"]),
        ("collective-permute", 2048, ["model"]),
        ("all-reduce", 2048, ["data", "model"]),
    ]
    assert by_kind(found)["all-gather"] == {"count": 1, "bytes": 2048}


def test_an_untagged_collective_takes_its_neighbours_equation():
    gather, permute, reduce = collectives(parse_module(ASYNC), MESH, 8)
    assert (gather["via"], gather["equations"]) == ("tag", ["e0"])
    assert (permute["via"], permute["equations"]) == ("operand", ["e0"])
    assert "ag-start" in permute["reason"]


def test_type_bytes_sums_a_tuple():
    assert type_bytes("(f32[128,64], bf16[16,128])") == 128 * 64 * 4 + 16 * 128 * 2
    assert type_bytes("pred[]") == 1


@pytest.mark.parametrize(
    "text, says",
    [("data:4", "is not NAME=SIZE"), ("data=4,data=2", "its own name"), ("", "NAME=SIZE")],
)
def test_a_bad_mesh_says_how_to_write_one(text, says):
    with pytest.raises(MeshError, match=says):
        parse_mesh(text)


def test_mesh_errors_name_the_fix():
    with pytest.raises(
        MeshError, match="needs 8 devices; 4 are available. Fix: run with --host-devices 8"
    ):
        check_devices(MESH, 4)
    with pytest.raises(MeshError, match=r"dimension 0 \(size 30\) does not split over data"):
        check_divides("x", [30, 8], [("data",), ()], MESH)
    with pytest.raises(MeshError, match="has no axis 'batch'"):
        check_divides("x", [32], [("batch",)], MESH)
    assert axes_text([("data",), ()]) == "{data, –}"
    assert MESH.coords(5) == (2, 1)


def test_pipeline_shardings_round_trip():
    specs = parse_pipeline("grad | jit(in_shardings=((P(), P()), P('data', None)))")
    assert parse_pipeline(str(specs[1])) == specs[1:]
    assert (
        with_jit_options("grad | jit | compile", {"in_shardings": parse_shardings("P('data')")})
        == "grad | jit(in_shardings=P('data')) | compile"
    )
    assert (
        with_jit_options("vmap", {"out_shardings": parse_shardings("P()")})
        == "vmap | jit(out_shardings=P())"
    )
    with pytest.raises(PipelineError, match="PartitionSpecs, one per argument"):
        parse_shardings("data")
    with pytest.raises(PipelineError, match="in_shardings must be"):
        parse_pipeline("jit(in_shardings=3)")


def test_what_if_reads_keywords_only():
    assert parse_what_if("in_shardings=(P('x'),), mesh='x=8'") == {
        "in_shardings": (("x",),),
        "mesh": "x=8",
    }
    with pytest.raises(PipelineError, match="no option 'axes'"):
        parse_what_if("axes=1")
