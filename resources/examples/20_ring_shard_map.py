# jaxviz-example: {"title": "Sharding: a ring reduction under shard_map", "function": "ring_sum", "args": "jnp.ones((jax.device_count() * 8, 16))", "pipeline": "jit"}
"""Every device's block summed around a ring: each step passes the block to the next device
(`lax.ppermute`, a collective-permute) and adds what arrived. Written with `shard_map`, so
the collectives are the user's own; `jaxviz sharding` finds the mesh in the program:

    jaxviz sharding resources/examples/20_ring_shard_map.py --host-devices 8
"""

from jax.sharding import PartitionSpec as P


def ring_sum(x):
    mesh = jax.make_mesh((jax.device_count(),), ("i",),
                         axis_types=(jax.sharding.AxisType.Auto,))

    def block(xb):
        n = lax.axis_size("i")
        total = xb
        for _ in range(n - 1):
            xb = lax.ppermute(xb, "i", [(j, (j + 1) % n) for j in range(n)])
            total = total + xb
        return total

    return jax.shard_map(block, mesh=mesh, in_specs=P("i"), out_specs=P("i"))(x)
