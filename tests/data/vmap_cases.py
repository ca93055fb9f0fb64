"""vmap pipelines whose batch axes the tests check (``tests/core/test_batch_axes.py`` from
recorded traces, ``tests/trace/test_batch_axes_jax.py`` against JAX): no jax here."""

SOURCE = """
def f(w, x):
    h = jnp.tanh(x @ w)
    return jnp.sum(h ** 2)

def f2(w, x):
    return jnp.tanh(x @ w) * x.sum()

def g(xs):
    def step(c, v):
        return c + v, c * v
    return lax.scan(step, 0.0, xs)

def sq(x):
    return jnp.outer(x, x).sum(0) + x
"""


def _normal(seed: int, *shape: int) -> str:
    return f"jax.random.normal(jax.random.key({seed}), {shape})"


W, X, W5 = _normal(1, 3, 4), _normal(2, 8, 3), _normal(3, 5, 3, 4)
# name: (function, pipeline, args, in_axes of the last vmap)
CASES = {
    "in_axes (None, 0)": ("f", "vmap(in_axes=(None, 0))", f"{W}, {X}", (None, 0)),
    "in_axes 1": ("f", "vmap(in_axes=1)", f"{_normal(4, 3, 8, 4)}, {_normal(5, 3, 8)}", 1),
    "out_axes 1": ("f2", "vmap(in_axes=(None, 0), out_axes=1)", f"{W}, {X}", (None, 0)),
    "nested": ("f", "vmap(in_axes=(None, 0)) | vmap(in_axes=(0, None))", f"{W5}, {X}", (0, None)),
    "vmap of grad": ("f", "grad | vmap(in_axes=(None, 0))", f"{W}, {X}", (None, 0)),
    "scan": ("g", "vmap", _normal(6, 8, 5), 0),
    "equal sizes": ("sq", "vmap(in_axes=1)", _normal(7, 8, 8), 1),
}
