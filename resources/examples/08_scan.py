# jaxviz-example: {"title": "A scan (exponential moving average) under grad", "function": "ema_loss", "args": "jnp.linspace(0.0, 1.0, 16)", "pipeline": "grad | jit"}
"""lax.scan carries state through a loop; its grad is a second scan, run in reverse."""


def ema_loss(xs, decay=0.9):
    def step(avg, x):
        avg = decay * avg + (1 - decay) * x
        return avg, avg
    _, avgs = lax.scan(step, 0.0, xs)
    return jnp.sum((avgs - xs) ** 2)
