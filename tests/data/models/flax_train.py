"""A flax linen MLP trained with optax adamw: the train step as its users write it."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax


class MLP(nn.Module):
    hidden: int = 32

    @nn.compact
    def __call__(self, x):
        x = nn.Dense(self.hidden, name="dense1")(x)
        x = nn.relu(x)
        return nn.Dense(10, name="dense2")(x)


model = MLP()
tx = optax.adamw(1e-3)
x0 = jnp.ones((8, 16))
params = model.init(jax.random.key(0), x0)
opt_state = tx.init(params)


def loss_fn(params, x, y):
    logits = model.apply(params, x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def train_step(params, opt_state, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss
