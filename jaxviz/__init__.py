"""jaxviz: see what grad, vmap, jit and pmap do to JAX code.

The package is split by process and by dependency:

- ``jaxviz.core``   the pure core (graph IR, graph model, layout, diff, export): no Qt, no jax;
- ``jaxviz.trace``  everything that touches jax; it only ever runs inside the worker process;
- ``jaxviz.worker`` the worker process, its typed protocol and the client that drives it;
- ``jaxviz.ui``     the desktop app: the only package that imports Qt;
- ``jaxviz.cli``    the command line, a second front end over the same pipeline;
- ``jaxviz.api``    the Python API for scripts and notebooks: ``jaxviz.stages``, ``jaxviz.show``.
"""

import importlib

__version__ = "0.1.0"

__all__ = ["stages", "show"]


def __getattr__(name: str):
    """``jaxviz.stages`` and ``jaxviz.show`` (``jaxviz.api``), imported on first use: the
    window's process imports ``jaxviz`` too, and must never import jax."""
    if name in __all__:  # by name, so that no static import ties the package to jax
        return getattr(importlib.import_module("jaxviz.api"), name)
    raise AttributeError(f"module 'jaxviz' has no attribute {name!r}")
