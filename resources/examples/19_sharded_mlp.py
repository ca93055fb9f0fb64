# jaxviz-example: {"title": "Sharding: a 2-layer MLP over a device mesh", "function": "loss", "args": "(jnp.ones((64, 128)), jnp.ones((128, 16))), jnp.ones((32, 64)), jnp.ones((32, 16))", "pipeline": "grad | jit"}
"""A 2-layer MLP's loss, to partition over devices with `jaxviz sharding`.

Data-parallel (the batch split over 8 devices; the weight gradients are summed by an
all-reduce over `data`):

    jaxviz sharding resources/examples/19_sharded_mlp.py --host-devices 8 --mesh data=8 \
        --in-shardings "(P(), P()), P('data', None), P('data', None)"

Model-parallel (the hidden layer split; the second matmul's partial sums are all-reduced
over `model`), and the two diffed:

    jaxviz sharding resources/examples/19_sharded_mlp.py --host-devices 8 --mesh data=8 \
        --in-shardings "(P(), P()), P('data', None), P('data', None)" \
        --what-if "in_shardings=((P(None, 'model'), P('model', None)), P(), P()), mesh='model=8'"
"""


def loss(params, x, y):
    w1, w2 = params
    h = jnp.tanh(x @ w1)
    return jnp.mean((h @ w2 - y) ** 2)
