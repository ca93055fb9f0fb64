"""A haiku MLP under grad."""

import haiku as hk
import jax
import jax.numpy as jnp


def forward(x):
    return hk.nets.MLP([32, 32, 10], name="mlp")(x)


net = hk.without_apply_rng(hk.transform(forward))
params = net.init(jax.random.key(0), jnp.ones((4, 16)))


def loss(params, x):
    return jnp.mean(net.apply(params, x) ** 2)
