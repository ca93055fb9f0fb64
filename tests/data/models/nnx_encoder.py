"""A flax nnx encoder of three attention blocks, under grad."""

import jax
import jax.numpy as jnp
from flax import nnx


class Block(nnx.Module):
    def __init__(self, dim: int, heads: int, rngs: nnx.Rngs):
        self.norm1 = nnx.LayerNorm(dim, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(heads, dim, decode=False, rngs=rngs)
        self.norm2 = nnx.LayerNorm(dim, rngs=rngs)
        self.mlp_in = nnx.Linear(dim, 2 * dim, rngs=rngs)
        self.mlp_out = nnx.Linear(2 * dim, dim, rngs=rngs)

    def __call__(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp_out(jax.nn.gelu(self.mlp_in(self.norm2(x))))


class Encoder(nnx.Module):
    def __init__(self, depth: int, dim: int, heads: int, rngs: nnx.Rngs):
        self.blocks = nnx.List([Block(dim, heads, rngs) for _ in range(depth)])

    def __call__(self, x):
        for block in self.blocks:
            x = block(x)
        return x


model = Encoder(3, 16, 2, nnx.Rngs(0))
graphdef, state = nnx.split(model)


def loss(state, x):
    encoder = nnx.merge(graphdef, state)
    return jnp.mean(encoder(x) ** 2)
