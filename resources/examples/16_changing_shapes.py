# jaxviz-example: {"title": "Sharp bit: jit traces again for new shapes", "function": "normalise", "args": "jnp.ones(3)", "pipeline": "jit"}
"""Called with changing shapes, jit traces and compiles again for each new one. Try it:

    jaxviz retrace resources/examples/16_changing_shapes.py -a 'jnp.ones(3)' \\
        -a 'jnp.ones(3)' -a 'jnp.ones(4)' -a 'jnp.ones(4, dtype=jnp.int32)'

or the Retrace box of the Devices tab, one argument set per line."""


def normalise(x):
    return x / jnp.linalg.norm(x)
