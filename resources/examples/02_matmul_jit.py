# jaxviz-example: {"title": "Matrix multiply under jit", "function": "matrix_mul", "args": "f32[1000,5000], f32[5000,1000]", "pipeline": "jit"}
"""The tutorial's matrix multiply under jit: one dot_general, wrapped in a jit equation.

The arguments use the shorthand f32[...]: traced abstractly, no 20 MB of random numbers needed.
"""


def matrix_mul(a, b):
    return jnp.matmul(a, b)
