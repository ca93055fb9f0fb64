"""pmap across 4 host devices, the messages for wrong device axes, and eager-vs-jit timing."""

import jax
import numpy as np
import pytest

from jaxviz.trace.devices import InputError, list_devices, run_bench
from jaxviz.trace.pmap_run import run_pmap

SOURCE = """
def matrix_mul(a, b):
    return jnp.matmul(a, b)

def normalise(x):
    return x / lax.psum(x.sum(), "i")

def gather(x):
    return lax.all_gather(x, "i")
"""


def pmap(function, args, **kw):
    return run_pmap(SOURCE, "<editor>", function, args, **kw)



def test_device_listing():
    devices, backend = list_devices()
    assert backend == "cpu" and [d["id"] for d in devices] == [0, 1, 2, 3]
    assert set(devices[0]) == {"id", "platform", "kind", "process_index", "memory_bytes"}


def test_pmap_matrix_multiply_on_4_devices():
    result = pmap("matrix_mul", "jnp.ones((4, 3, 5)), 2 * jnp.ones((4, 5, 2))", mode="as-is")
    assert result["devices"] == 4 and len(result["outputs"]) == 4
    first = result["outputs"][0]["outputs"][0]
    assert first["shape"] == [3, 2] and first["dtype"] == "float32"
    assert "10." in first["preview"]
    assert result["wall_time"] > 0
    prims = {n["primitive"] for n in _walk(result["stage"]["graph"])}
    assert {"shard_map", "dot_general"} <= prims  # what JAX really does with pmap now


def _walk(graph):
    for n in graph["nodes"]:
        yield n
        for sub in n["subgraphs"]:
            yield from _walk(sub)


def test_psum_normalisation_sums_to_one_across_devices():
    result = pmap("normalise", "jnp.arange(1.0, 9.0)", mode="split")
    assert result["devices"] == 4
    total = sum(float(np.fromstring(d["outputs"][0]["preview"].strip("[]"), sep=" ").sum())
                for d in result["outputs"])
    assert total == pytest.approx(1.0, abs=1e-3)
    prims = {n["primitive"] for n in _walk(result["stage"]["graph"])}
    assert "psum" in prims or "psum_invariant" in prims


def test_all_gather_is_visible():
    result = pmap("gather", "jnp.arange(4.0)", mode="split")
    assert result["outputs"][0]["outputs"][0]["shape"] == [4, 1]
    assert "all_gather" in {n["primitive"] for n in _walk(result["stage"]["graph"])}


def test_replicate_mode():
    result = pmap("matrix_mul", "jnp.ones((3, 5)), jnp.ones((5, 2))", mode="replicate")
    assert result["devices"] == 4


def test_too_long_a_leading_axis_names_argument_size_and_devices():
    with pytest.raises(InputError) as info:
        pmap("normalise", "jnp.ones((8, 2))", mode="as-is")
    message = info.value.info.message
    assert "argument 0" in message and "8 rows onto 4 devices" in message
    assert "IndivisibleError" not in message


def test_shorter_axis_runs_on_that_many_devices():
    result = pmap("normalise", "jnp.ones((2, 3))", mode="as-is")
    assert result["devices"] == 2 and len(result["outputs"]) == 2


def test_split_needs_a_multiple_of_the_devices():
    with pytest.raises(InputError, match="multiple of 4"):
        pmap("normalise", "jnp.ones(6)", mode="split")


def test_bench_times_eager_and_jit_with_compile_apart():
    result = run_bench(SOURCE, "<editor>", "matrix_mul", "jnp.ones((64, 64)), jnp.ones((64, 64))",
                       repeats=5)
    assert len(result["eager"]) == len(result["jit"]) == 5
    assert all(t > 0 for t in result["eager"] + result["jit"])
    assert result["compile_time"] > 0


def test_bench_refuses_abstract_arguments():
    with pytest.raises(InputError, match="running needs values"):
        run_bench(SOURCE, "<editor>", "matrix_mul", "f32[4,4], f32[4,4]")


def test_four_devices_in_this_process():
    assert jax.local_device_count() == 4


EXAMPLE_ARGS = "jnp.ones((4, 30, 50)), jnp.ones((4, 50, 30))"


@pytest.mark.parametrize("stage", [0, 1])
def test_split_on_every_stage_of_a_pmap_pipeline_maps_as_the_pipeline_does(stage):
    """The first stage is pmapped as the pipeline's pmap maps the user's arguments; the pmap
    stage runs as it is, not as pmap(pmap(f))."""
    result = pmap("matrix_mul", EXAMPLE_ARGS, mode="split", pipeline="pmap", stage=stage)
    assert result["devices"] == 4 and result["function"] == "pmap(matrix_mul)"
    assert [o["outputs"][0]["shape"] for o in result["outputs"]] == [[30, 30]] * 4
    assert "pipeline's" in result["note"]


def test_split_keeps_whole_an_argument_whose_rows_do_not_divide():
    result = pmap("matrix_mul", "jnp.ones((8, 5)), jnp.ones((5, 3))", mode="split")
    assert result["outputs"][0]["outputs"][0]["shape"] == [2, 3]
    assert "argument 1 whole" in result["note"]


def test_split_falls_back_to_the_first_argument_when_both_split_do_not_fit():
    result = pmap("matrix_mul", "jnp.ones((8, 8)), 2 * jnp.ones((8, 4))", mode="split")
    first = result["outputs"][0]["outputs"][0]
    assert first["shape"] == [2, 4] and first["values"] == [[16.0] * 4] * 2
    assert "did not fit" in result["note"]


def test_a_pmap_stage_with_more_rows_than_devices_names_rows_and_devices():
    with pytest.raises(InputError) as info:
        pmap("matrix_mul", "jnp.ones((8, 3, 5)), jnp.ones((8, 5, 2))", pipeline="pmap")
    assert "8 rows onto 4 devices" in info.value.info.message


def test_keyword_arguments_are_split_and_replicated_too():
    source = "def scaled(x, *, w):\n    return x * w\n"
    split = run_pmap(source, "<editor>", "scaled", "jnp.arange(8.0), w=jnp.ones(8) * 2.0",
                     mode="split")
    assert split["outputs"][1]["outputs"][0]["values"] == [4.0, 6.0]
    copies = run_pmap(source, "<editor>", "scaled", "jnp.ones(3), w=jnp.ones(3) * 2.0",
                      mode="replicate")
    assert copies["outputs"][3]["outputs"][0]["values"] == [2.0, 2.0, 2.0]
    with pytest.raises(InputError, match="keyword argument 'w'"):
        run_pmap(source, "<editor>", "scaled", "jnp.arange(8.0), w=jnp.ones(6)", mode="split")
