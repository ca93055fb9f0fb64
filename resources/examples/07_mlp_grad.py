# jaxviz-example: {"title": "MLP loss under grad", "function": "loss", "args": "params, f32[32,8], f32[32,2]", "pipeline": "grad"}
"""A two-layer MLP's loss and its gradient with respect to the parameters (a pytree)."""


def init(key, sizes):
    keys = jax.random.split(key, len(sizes) - 1)
    return [dict(w=jax.random.normal(k, (m, n)) * 0.1, b=jnp.zeros(n))
            for k, m, n in zip(keys, sizes[:-1], sizes[1:])]


params = init(jax.random.key(0), [8, 16, 2])


def layer(p, x):
    return jnp.tanh(x @ p["w"] + p["b"])


def loss(params, x, y):
    for p in params[:-1]:
        x = layer(p, x)
    out = x @ params[-1]["w"] + params[-1]["b"]
    return jnp.mean((out - y) ** 2)
