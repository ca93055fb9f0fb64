# jaxviz-example: {"title": "A cond, and what vmap makes of it", "function": "safe_log", "args": "jnp.linspace(-1.0, 2.0, 8)", "pipeline": "vmap | jit"}
"""lax.cond picks a branch at run time. Under vmap the predicate is batched, so JAX runs both
branches and selects: the cond becomes a select_n."""


def safe_log(x):
    return lax.cond(x > 0, jnp.log, lambda v: jnp.zeros_like(v), x)
