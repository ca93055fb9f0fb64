"""A pytest plugin that makes jax unimportable: ``pytest -p tests.block_jax tests/core``
proves the pure core and its tests need no jax (``tests/test_architecture.py`` runs it)."""

import importlib.abc
import sys


class BlockJax(importlib.abc.MetaPathFinder):
    BLOCKED = ("jax", "jaxlib")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.BLOCKED:
            raise ImportError(f"{name} is blocked: the pure core must not need it")
        return None


for loaded in [m for m in sys.modules if m.split(".")[0] in BlockJax.BLOCKED]:
    del sys.modules[loaded]
sys.meta_path.insert(0, BlockJax())
