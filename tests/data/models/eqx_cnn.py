"""An equinox CNN under filter_value_and_grad."""

import equinox as eqx
import jax
import jax.numpy as jnp


class CNN(eqx.Module):
    conv1: eqx.nn.Conv2d
    conv2: eqx.nn.Conv2d
    fc: eqx.nn.Linear

    def __init__(self, key):
        k1, k2, k3 = jax.random.split(key, 3)
        self.conv1 = eqx.nn.Conv2d(1, 4, 3, key=k1)
        self.conv2 = eqx.nn.Conv2d(4, 8, 3, key=k2)
        self.fc = eqx.nn.Linear(8 * 4 * 4, 10, key=k3)

    def __call__(self, x):
        x = jax.nn.relu(self.conv1(x))
        x = jax.nn.relu(self.conv2(x))
        return self.fc(x.reshape(-1))


model = CNN(jax.random.key(0))


def conv_loss(model, x, y):
    logits = jax.vmap(model)(x)
    return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(y.shape[0]), y])


def step(model, x, y):
    loss, grads = eqx.filter_value_and_grad(conv_loss)(model, x, y)
    return loss, grads
