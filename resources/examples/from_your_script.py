"""jaxviz from your own script: trace with your real objects, export, diff, open the app.

    python resources/examples/from_your_script.py          # writes mlp_grad.svg, prints a diff
    python resources/examples/from_your_script.py --show   # and opens the desktop app
"""

import sys

import jax
import jax.numpy as jnp

import jaxviz


def layer(w, b, x):
    return jnp.tanh(x @ w + b)


def loss(params, x, y):
    for w, b in params:
        x = layer(w, b, x)
    return ((x - y) ** 2).mean()


if __name__ == "__main__":
    keys = jax.random.split(jax.random.key(0), 3)
    params = [(jax.random.normal(k, (8, 8)) * 0.1, jnp.zeros(8)) for k in keys]
    x, y = jnp.ones((4, 8)), jnp.zeros((4, 8))
    stages = jaxviz.stages(loss, params, x, y, pipeline="grad | jit")
    for stage in stages:
        print(f"{stage.title}: {stage.equations} equations")
    print(stages.diff(0, 1).summary)
    print("wrote", stages.export("mlp_grad.svg", stage=1))
    if "--show" in sys.argv:
        jaxviz.show(loss, params, x, y, pipeline="grad")
