# jaxviz-example: {"title": "Windowed mean under vmap", "function": "weighted_mean", "args": "jnp.stack([a] * 8), jnp.stack([b] * 8)", "pipeline": "vmap"}
"""The tutorial's windowed mean, batched with vmap: (8, 3) and (8, 5) in, (8, 3) out."""

a = jnp.array([1.0, 4.0, 0.5])
b = jnp.arange(5, 10, dtype=jnp.float32)


def weighted_mean(a, b):
    output = []
    for idx in range(1, b.shape[0] - 1):
        output.append(jnp.mean(a + b[idx - 1 : idx + 2]))
    return jnp.array(output)
