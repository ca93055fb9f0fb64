"""Run on 8 simulated CPU devices (a subprocess of ``test_sharding.py``): jaxviz's sharding
report of each case, beside what JAX itself says of the same program compiled by plain
``jax.jit`` (its ``as_text()`` and ``output_shardings``). Prints one JSON object."""

import json
import os
import sys
from pathlib import Path

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.sharding import NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MLP = ROOT / "resources/examples/19_sharded_mlp.py"
RING = ROOT / "resources/examples/20_ring_shard_map.py"
MLP_ARGS = "(f32[64,128], f32[128,16]), f32[32,64], f32[32,16]"
DP = "(P(), P()), P('data', None), P('data', None)"
MP = "(P(None, 'model'), P('model', None)), P(), P()"
SPECS = {
    "dp": ((P(), P()), P("data", None), P("data", None)),
    "mp": ((P(None, "model"), P("model", None)), P(), P()),
}
MESHES = {"dp": ("data", 8), "mp": ("model", 8)}


def namespace(path: Path) -> dict:
    ns = {"jax": jax, "jnp": jnp, "lax": jax.lax, "np": __import__("numpy")}
    exec(compile(path.read_text(), str(path), "exec"), ns)
    return ns


def jax_says(fn, args, in_shardings=None) -> dict:
    """Plain JAX: the partitioned module's text and the output shardings."""
    jitted = jax.jit(fn, in_shardings=in_shardings) if in_shardings else jax.jit(fn)
    compiled = jitted.lower(*args).compile()
    outs = jax.tree_util.tree_leaves(
        compiled.output_shardings, is_leaf=lambda x: isinstance(x, jax.sharding.Sharding)
    )
    return {
        "text": compiled.as_text(),
        "outputs": [list(s.spec) if isinstance(s, NamedSharding) else None for s in outs],
    }


def mlp_case(name: str) -> dict:
    from jaxviz.trace.sharding import sharding_run

    axis, size = MESHES[name]
    mesh = jax.sharding.Mesh(jax.devices()[:size], (axis,))
    shardings = jax.tree_util.tree_map(
        lambda s: NamedSharding(mesh, s), SPECS[name], is_leaf=lambda x: isinstance(x, P)
    )
    f32 = jnp.float32
    args = (
        (jax.ShapeDtypeStruct((64, 128), f32), jax.ShapeDtypeStruct((128, 16), f32)),
        jax.ShapeDtypeStruct((32, 64), f32),
        jax.ShapeDtypeStruct((32, 16), f32),
    )
    loss = namespace(MLP)["loss"]
    ours = sharding_run(
        MLP.read_text(),
        str(MLP),
        "loss",
        MLP_ARGS,
        "grad",
        f"{axis}={size}",
        DP if name == "dp" else MP,
    )
    return {"ours": ours, "jax": jax_says(jax.grad(loss), args, shardings)}


def ring_case() -> dict:
    from jaxviz.trace.sharding import sharding_run

    ring = namespace(RING)["ring_sum"]
    ours = sharding_run(RING.read_text(), str(RING), "ring_sum", "f32[64,16]", "jit")
    return {"ours": ours, "jax": jax_says(ring, (jax.ShapeDtypeStruct((64, 16), jnp.float32),))}


CONSTRAINED = """
def f(x, w):
    mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(jax.sharding.AxisType.Auto,) * 2)
    h = jax.lax.with_sharding_constraint(x @ w, NamedSharding(mesh, P("data", "model")))
    return jnp.tanh(h).sum(0)
"""


def constraint_case() -> dict:
    from jaxviz.trace.sharding import sharding_run

    source = "from jax.sharding import NamedSharding, PartitionSpec as P\n" + CONSTRAINED
    return sharding_run(source, "<constrained>", "f", "f32[32,64], f32[64,16]", "jit")


UNUSED = """
def f(unused, x, w):
    return jnp.tanh(x @ w).sum()
"""


def edge_cases() -> dict:
    """An argument the function never reads (its parameter kept, so the others line up), a
    mesh axis of size 1, and a dimension split over two axes, the minor one first in the
    mesh."""
    from jaxviz.trace.sharding import sharding_run

    return {
        "unused": sharding_run(UNUSED, "<unused>", "f", "f32[3], f32[32,64], f32[64,16]",
                               "jit", "data=8", "P(), P('data', None), P()"),
        "size_one": sharding_run(UNUSED, "<unused>", "f", "f32[3], f32[32,64], f32[64,16]",
                                 "jit", "data=8,model=1", "P(), P('data', 'model'), P()"),
        "reordered": sharding_run(UNUSED, "<unused>", "f", "f32[3], f32[32,64], f32[64,16]",
                                  "jit", "data=4,model=2", "P(), P(('model', 'data'), None), P()"),
    }


def what_if_case() -> dict:
    from jaxviz.trace.sharding import sharding_run

    return sharding_run(
        MLP.read_text(),
        str(MLP),
        "loss",
        MLP_ARGS,
        "grad",
        "data=8",
        DP,
        f"in_shardings=({MP}), mesh='model=8'",
    )


def error_cases() -> dict:
    """What a user sees for a mesh that is too big, an axis that does not divide, a mesh
    without the axis a spec names."""
    from jaxviz.trace.devices import InputError
    from jaxviz.trace.sharding import sharding_run

    said = {}
    for key, mesh_text, specs in (
        ("too_big", "data=16", DP),
        ("divides", "model=3", MP),
        ("no_axis", "data=8", MP),
        ("count", "data=8", "P('data'), P()"),
    ):
        try:
            sharding_run(MLP.read_text(), str(MLP), "loss", MLP_ARGS, "grad", mesh_text, specs)
            said[key] = ""
        except InputError as exc:
            said[key] = exc.info.message
    return said


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(
        json.dumps(
            {
                "dp": mlp_case("dp"),
                "mp": mlp_case("mp"),
                "ring": ring_case(),
                "what_if": what_if_case(),
                "constrained": constraint_case(),
                "errors": error_cases(),
                "edges": edge_cases(),
            }
        )
    )
