# jaxviz-example: {"title": "Matrix multiply under pmap", "function": "matrix_mul", "args": "jnp.ones((jax.local_device_count(), 300, 500)), jnp.ones((jax.local_device_count(), 500, 300))", "pipeline": "pmap"}
"""The tutorial's matrix multiply across devices: one slice of the leading axis per device.

JAX now traces pmap as jit around shard_map. On a CPU, simulate devices with the device panel
(or `--host-devices N`).
"""


def matrix_mul(a, b):
    return jnp.matmul(a, b)
