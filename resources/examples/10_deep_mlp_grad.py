# jaxviz-example: {"title": "6-layer MLP under grad (folded layers)", "function": "mlp", "args": "make(6), f32[16,32]", "pipeline": "grad"}
"""A 6-layer MLP, one function per layer: its grad folds into `layer ×6` boxes."""


def layer(p, x):
    return jnp.tanh(x @ p["w"] + p["b"])


def mlp(params, x):
    for p in params:
        x = layer(p, x)
    return jnp.mean(x ** 2)


def make(depth, width=32):
    return [dict(w=jax.ShapeDtypeStruct((width, width), jnp.float32),
                 b=jax.ShapeDtypeStruct((width,), jnp.float32)) for _ in range(depth)]
