"""The worker process that runs user code and JAX, its protocol, and the client that drives it."""
