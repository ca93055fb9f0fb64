# jaxviz-example: {"title": "PRNG key splitting", "function": "sample", "args": "jax.random.key(42)", "pipeline": "jit"}
"""The tutorial's PRNG keys: split a key, never reuse one, draw from the subkeys."""


def sample(key):
    key, subkey = jax.random.split(key)
    noise = jax.random.normal(subkey, (3,))
    key, subkey = jax.random.split(key)
    return noise + jax.random.uniform(subkey, (3,))
