"""Running the user's file as the module it is: inside its package, from any current folder.

``jaxviz proj/mypkg/train.py`` finds the package root by walking up through ``__init__.py``
files (``proj/``), puts that root (and every ``--path``) on ``sys.path``, and runs the text as
``mypkg.train`` with ``__package__ = "mypkg"``, so ``from .layers import dense`` and
``from mypkg.layers import dense`` both work, as they would for ``python -m mypkg.train``. The
text run is the editor's (it may differ from the file on disk); the context is the file's.

The worker lives across traces, so the modules a run imported from the user's roots are
forgotten before the next run: an edit to ``layers.py`` on disk is seen at the next trace.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

_extra_roots: list[str] = []  # the request's --path folders, absolute
_user_modules: set[str] = set()  # modules the last run imported from the user's roots
_modules_before: set[str] = set()  # sys.modules when the last run started


def set_extra_roots(paths: list[str]) -> None:
    """The folders given with ``--path`` (or the app's import paths) for this request."""
    _extra_roots[:] = [str(Path(p).expanduser().resolve()) for p in paths]


def module_context(filename: str) -> tuple[str, list[str], bool]:
    """The file's dotted module name, the import roots to use, and whether it is a package's
    ``__init__``. A file outside any package is a top-level module, its folder the root."""
    path = Path(filename)
    if not path.is_file():
        return "__jaxviz_user__", list(_extra_roots), False
    path = path.resolve()
    parts, folder = [path.stem], path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    is_package = path.name == "__init__.py"
    if is_package:
        parts.pop()
    return ".".join(parts) or path.stem, [str(folder)] + list(_extra_roots), is_package


def new_module(filename: str, namespace: dict) -> tuple[types.ModuleType, list[str]]:
    """A fresh module for the user's text, registered under its dotted name, roots on the
    path, the modules of the previous run forgotten."""
    forget_user_modules()
    name, roots, is_package = module_context(filename)
    for root in reversed(roots):
        if root not in sys.path:
            sys.path.insert(0, root)
    module = types.ModuleType(name)
    module.__dict__.update(namespace, __file__=filename,
                           __package__=name if is_package else name.rpartition(".")[0])
    if is_package:
        module.__path__ = [str(Path(filename).resolve().parent)]
    _modules_before.clear()
    _modules_before.update(sys.modules)
    sys.modules[name] = module  # for dataclasses, pickling and imports of itself
    _user_modules.add(name)
    return module, roots


def note_imports(roots: list[str]) -> None:
    """After a run: the modules it imported from the user's own folders, to forget next time.
    Installed packages are kept even when they live under a root (a project's ``.venv``):
    importing flax again beside the flax that made live objects would break them."""
    for name in set(sys.modules) - _modules_before:
        origin = getattr(sys.modules.get(name), "__file__", None) or ""
        if any(origin.startswith(root + "/") for root in roots) and not _installed(origin):
            _user_modules.add(name)


def _installed(origin: str) -> bool:
    parts = Path(origin).parts
    return "site-packages" in parts or "dist-packages" in parts or \
        origin.startswith((sys.prefix + "/", sys.base_prefix + "/"))


def forget_user_modules() -> None:
    for name in _user_modules:
        sys.modules.pop(name, None)
    _user_modules.clear()


def missing_module_hint(missing: str, roots: list[str]) -> str:
    """What to do about ``No module named 'missing'``: where jaxviz looked, and the flag."""
    top = missing.split(".")[0]
    looked = ", ".join(roots) if roots else "(no folder: the code is not saved in a file)"
    return (f"jaxviz looked for {top!r} in {looked} and in the installed packages; give the "
            f"folder that holds {top}/ (or {top}.py) with --path DIR, or install the package "
            f"into jaxviz's environment")
