"""Sample functions shared by every layer's tests: the tutorial's examples and nested control flow.

Each sample is a module's source, the function, its arguments and a pipeline, as a user would
type them into the app or give them to the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    name: str
    source: str
    function: str
    args: str
    pipeline: str = ""


POLYNOMIAL = Sample("polynomial", """
def f(x):
    return 4*x**3 + 3*x**2 + 2*x + 1
""", "f", "2.0", "grad")

MATMUL = Sample("matmul", """
def matrix_mul(a, b):
    return jnp.matmul(a, b)
""", "matrix_mul", "jnp.ones((10, 50)), jnp.ones((50, 10))", "jit")

WINDOWED_MEAN = Sample("windowed_mean", """
a = jnp.array([1.0, 4.0, 0.5])
b = jnp.arange(5, 10, dtype=jnp.float32)

def weighted_mean(a, b):
    output = []
    for idx in range(1, b.shape[0] - 1):
        output.append(jnp.mean(a + b[idx - 1: idx + 2]))
    return jnp.array(output)
""", "weighted_mean", "jnp.stack([a] * 8), jnp.stack([b] * 8)", "vmap")

PMAP_MATMUL = Sample("pmap_matmul", """
def matrix_mul(a, b):
    return jnp.matmul(a, b)
""", "matrix_mul", "jnp.ones((4, 6, 5)), jnp.ones((4, 5, 3))", "pmap")

IF_UNDER_JIT = Sample("if_under_jit", """
def f(x):
    if x > 0:
        return x + 1
    else:
        return x
""", "f", "10.0", "jit")

WHERE_UNDER_JIT = Sample("where_under_jit", """
def f(x):
    return jnp.where(x > 0, x + 1, x)
""", "f", "10.0", "jit")

COND = Sample("cond", """
def f(x):
    return lax.cond(x.sum() > 0, lambda v: jnp.sin(v), lambda v: jnp.cos(v) * 2.0, x)
""", "f", "jnp.ones(3)", "vmap")

SCAN = Sample("scan", """
def f(xs):
    def step(carry, x):
        carry = carry * 0.5 + x
        return carry, carry ** 2
    total, ys = lax.scan(step, 0.0, xs)
    return total + ys.sum()
""", "f", "jnp.arange(5.0)", "grad")

WHILE = Sample("while", """
def f(x):
    return lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)
""", "f", "1.0", "")

REMAT = Sample("remat", """
@jax.checkpoint
def block(x):
    return jnp.sin(x) * jnp.cos(x)

def f(x):
    return block(block(x)).sum()
""", "f", "jnp.ones(4)", "grad")

CUSTOM_VJP = Sample("custom_vjp", """
@jax.custom_vjp
def clip_gradient(x):
    return x

def fwd(x):
    return x, None

def bwd(_, g):
    return (jnp.clip(g, -1.0, 1.0),)

clip_gradient.defvjp(fwd, bwd)

def f(x):
    return (clip_gradient(x) ** 2).sum()
""", "f", "jnp.ones(3)", "grad")

MLP = Sample("mlp", """
def init(key, sizes):
    keys = jax.random.split(key, len(sizes) - 1)
    return [dict(w=jax.random.normal(k, (m, n)) * 0.1, b=jnp.zeros(n))
            for k, m, n in zip(keys, sizes[:-1], sizes[1:])]

params = init(jax.random.key(0), [4, 8, 2])

def loss(params, x, y):
    for layer in params[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"])
    out = x @ params[-1]["w"] + params[-1]["b"]
    return jnp.mean((out - y) ** 2)
""", "loss", "params, jnp.ones((16, 4)), jnp.zeros((16, 2))", "grad")

ALL = [POLYNOMIAL, MATMUL, WINDOWED_MEAN, PMAP_MATMUL, WHERE_UNDER_JIT, COND, SCAN, WHILE, REMAT,
       CUSTOM_VJP, MLP]
NESTED = [COND, SCAN, WHILE, REMAT, CUSTOM_VJP]
