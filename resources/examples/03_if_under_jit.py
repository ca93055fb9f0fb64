# jaxviz-example: {"title": "Python if under jit (fails)", "function": "f", "args": "10.0", "pipeline": "jit"}
# jaxviz-example: {"title": "jnp.where under jit (the fix)", "function": "f_where", "args": "10.0", "pipeline": "jit"}
"""The tutorial's `if` under jit: tracing has no value for x, so Python cannot branch on it.

`f` fails with TracerBoolConversionError; `f_where` computes both sides and selects.
"""


def f(x):
    if x > 0:
        return x + 1
    else:
        return x


def f_where(x):
    return jnp.where(x > 0, x + 1, x)
