# jaxviz-example: {"title": "Sharp bit: a global array baked in as a constant", "function": "project", "args": "jnp.ones((8, 512))", "pipeline": "jit"}
"""A function that reads a global array: the array is baked into the jaxpr as a constant (2 MiB
here), and changing W later does not change the jitted function. Pass it as an argument."""

W = jnp.ones((512, 1024))


def project(x):
    return jnp.tanh(x @ W)
