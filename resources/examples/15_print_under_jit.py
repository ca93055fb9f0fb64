# jaxviz-example: {"title": "Sharp bit: print under jit", "function": "f", "args": "jnp.arange(3.0)", "pipeline": "jit"}
"""print runs once, while tracing, and shows a tracer, not values; jax.debug.print runs at
every call (and is an effect jit keeps: see the note)."""


def f(x):
    print("x is", x)
    jax.debug.print("x is {}", x)
    return x * 2.0
