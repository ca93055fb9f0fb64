# jaxviz-example: {"title": "12-block transformer under grad (2.5k equations)", "function": "transformer", "args": "make(12), f32[16,32]", "pipeline": "grad"}
"""A transformer stack in jax.numpy, a function per block: 2,500 equations under grad,
shown as `block ×11` folded boxes (the first block differs: its input needs no gradient)."""


def layer_norm(x):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / jnp.sqrt(var + 1e-5)


def attention(p, x):
    q, k, v = x @ p["q"], x @ p["k"], x @ p["v"]
    scores = jax.nn.softmax(q @ k.T / 8.0, axis=-1)
    return (scores @ v) @ p["o"]


def block(p, x):
    x = x + attention(p, layer_norm(x))
    return x + jax.nn.gelu(layer_norm(x) @ p["w1"]) @ p["w2"]


def transformer(params, x):
    for p in params:
        x = block(p, x)
    return (x ** 2).mean()


def make(depth, d=32):
    names = ["q", "k", "v", "o", "w1", "w2"]
    return [{n: jax.ShapeDtypeStruct((d, d), jnp.float32) for n in names} for _ in range(depth)]
