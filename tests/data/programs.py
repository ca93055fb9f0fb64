"""The family of programs that the tests and the benchmarks share: an MLP and a transformer
stack in jax.numpy, nested (each layer a function of its own) and flat (the loop body written
inline), and their grads; and a small program of control flow.

Each entry is the source of a module, the function, the arguments expression and the pipeline,
exactly as a user would give them to jaxviz.
"""

CONTROL = """
def f(x):
    def body(c, _):
        c = lax.cond(c.sum() > 0, jnp.sin, jnp.cos, c) * 2.0
        return c, c.sum()
    c, ys = lax.scan(body, x, None, length=3)
    return lax.fori_loop(0, 3, lambda i, v: jnp.tanh(v) * 2.0, c).sum() + ys.sum()
"""

MLP_NESTED = """
def layer(p, x):
    return jnp.tanh(x @ p["w"] + p["b"])

def mlp(params, x):
    for p in params:
        x = layer(p, x)
    return jnp.mean(x ** 2)

def make(depth, width=32):
    return [dict(w=jax.ShapeDtypeStruct((width, width), jnp.float32),
                 b=jax.ShapeDtypeStruct((width,), jnp.float32)) for _ in range(depth)]
"""

TRANSFORMER_NESTED = """
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
    return x + jnp.tanh(layer_norm(x) @ p["w1"]) @ p["w2"]

def transformer(params, x):
    for p in params:
        x = block(p, x)
    return jnp.mean(x ** 2)

def make(depth, d=32):
    names = ["q", "k", "v", "o", "w1", "w2"]
    return [{n: jax.ShapeDtypeStruct((d, d), jnp.float32) for n in names} for _ in range(depth)]
"""

TRANSFORMER_FLAT = """
def transformer(params, x):
    for p in params:
        mu = x.mean(-1, keepdims=True)
        h = (x - mu) / jnp.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-5)
        q, k, v = h @ p["q"], h @ p["k"], h @ p["v"]
        s = q @ k.T / 8.0
        s = jnp.exp(s - s.max(-1, keepdims=True))
        x = x + ((s / s.sum(-1, keepdims=True)) @ v) @ p["o"]
        mu = x.mean(-1, keepdims=True)
        h = (x - mu) / jnp.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-5)
        x = x + jnp.tanh(h @ p["w1"]) @ p["w2"]
    return jnp.mean(x ** 2)

def make(depth, d=32):
    names = ["q", "k", "v", "o", "w1", "w2"]
    return [{n: jax.ShapeDtypeStruct((d, d), jnp.float32) for n in names} for _ in range(depth)]
"""

# (name, source, function, args, pipeline, depth): sizes from ~100 to ~20,000 equations
CASES = [
    ("mlp", MLP_NESTED, "mlp", "make({d}), f32[16,32]", "", 25),
    ("mlp grad", MLP_NESTED, "mlp", "make({d}), f32[16,32]", "grad", 80),
    ("mlp grad", MLP_NESTED, "mlp", "make({d}), f32[16,32]", "grad", 400),
    ("transformer grad", TRANSFORMER_NESTED, "transformer", "make({d}), f32[16,32]", "grad", 12),
    ("transformer grad", TRANSFORMER_NESTED, "transformer", "make({d}), f32[16,32]", "grad", 60),
    ("transformer flat", TRANSFORMER_FLAT, "transformer", "make({d}), f32[16,32]", "", 120),
    ("transformer flat", TRANSFORMER_FLAT, "transformer", "make({d}), f32[16,32]", "", 450),
    ("transformer flat", TRANSFORMER_FLAT, "transformer", "make({d}), f32[16,32]", "", 600),
    ("transformer flat", TRANSFORMER_FLAT, "transformer", "make({d}), f32[16,32]", "", 2300),
]
