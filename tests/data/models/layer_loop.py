"""Three layers called from a Python loop, as the README's example 17 writes them."""

import jax.numpy as jnp

sizes = [(16, 32), (32, 32), (32, 8)]
params = [(jnp.ones(s) * 0.1, jnp.zeros(s[1])) for s in sizes]


def layer(w, b, x):
    return jnp.tanh(x @ w + b)


def loss(params, x):
    for w, b in params:
        x = layer(w, b, x)
    return jnp.mean(x ** 2)
