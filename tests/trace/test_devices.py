"""pmap across 4 host devices, the messages for wrong device axes, and eager-vs-jit timing."""

import jax
import numpy as np
import pytest

from jaxviz.trace.devices import InputError, list_devices, run_bench, run_pmap

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
    assert "argument 0" in message and "8" in message and "4 local devices" in message
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
