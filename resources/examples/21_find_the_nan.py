# jaxviz-example: {"title": "Where does the NaN come from? (Run → Find first NaN)", "function": "loss", "args": "make([8, 16, 4, 3]), f32[32,8]", "pipeline": "grad"}
"""A small MLP whose loss is the mean length of its outputs. The forward pass is finite, but
a ReLU layer can zero a whole row, the length of a zero row is sqrt(0), and the gradient of
sqrt at 0 is infinite: the backward pass makes a NaN. Run → Find first NaN or Inf
(Ctrl+Shift+E) opens the backward pass and selects the equation that made it;
`jaxviz values` says the same in words."""


def make(sizes):
    keys = jax.random.split(jax.random.key(1), len(sizes))
    return [jax.random.normal(k, (m, n)) / m ** 0.5
            for k, m, n in zip(keys, sizes[:-1], sizes[1:])]


def layer(w, x):
    return jax.nn.relu(x @ w - 0.1)


def length(h):
    return jnp.sqrt(jnp.sum(h * h, axis=-1))


def loss(params, x):
    h = x
    for w in params[:-1]:
        h = layer(w, h)
    return jnp.mean(length(h @ params[-1]))
