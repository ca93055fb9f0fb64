"""jaxviz: see what grad, vmap, jit and pmap do to JAX code.

The package is split by process and by dependency:

- ``jaxviz.core``   the pure core (graph IR, graph model, layout, diff, export): no Qt, no jax;
- ``jaxviz.trace``  everything that touches jax; it only ever runs inside the worker process;
- ``jaxviz.worker`` the worker process, its typed protocol and the client that drives it;
- ``jaxviz.ui``     the desktop app: the only package that imports Qt;
- ``jaxviz.cli``    the command line, a second front end over the same pipeline.
"""

__version__ = "0.1.0"
