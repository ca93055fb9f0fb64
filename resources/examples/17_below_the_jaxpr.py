# jaxviz-example: {"title": "Below the jaxpr: an MLP's grad compiled by XLA (fusions, cost, memory)", "function": "loss", "args": "params, f32[64,32], f32[64,8]", "pipeline": "grad | jit | compile"}
# jaxviz-example: {"title": "Below the jaxpr: checkpointed layers save fewer residuals", "function": "loss_checkpointed", "args": "params, f32[64,32], f32[64,8]", "pipeline": "grad | jit | compile"}
"""A three-layer MLP's loss under grad, jit and compile: pick the jit stage, then the XLA tab
and "Colour: XLA kernel" to see which equations XLA fused into one kernel; "Colour: FLOPs"
for where the work is; the Memory and Residuals tabs for what is alive and what the forward
pass keeps. The checkpointed version recomputes each layer in the backward pass instead."""


def init(key, sizes):
    keys = jax.random.split(key, len(sizes) - 1)
    return [dict(w=jax.random.normal(k, (m, n)) * 0.1, b=jnp.zeros(n))
            for k, m, n in zip(keys, sizes[:-1], sizes[1:])]


params = init(jax.random.key(0), [32, 128, 128, 8])


def layer(p, x):
    return jnp.tanh(x @ p["w"] + p["b"])


def loss(params, x, y):
    for p in params:
        x = layer(p, x)
    return jnp.mean((x - y) ** 2)


def loss_checkpointed(params, x, y):
    for p in params:
        x = jax.checkpoint(layer)(p, x)
    return jnp.mean((x - y) ** 2)
