"""The modules a run imported from the user's folders are forgotten before the next run (an
edit on disk is seen), installed packages under those folders are not (a project's .venv)."""

import sys
import types

from jaxviz.trace import modules


def test_user_modules_are_forgotten_and_installed_ones_kept(tmp_path, monkeypatch):
    root = str(tmp_path)
    mine = types.ModuleType("mine_helpers")
    mine.__file__ = f"{root}/mine_helpers.py"
    flaxish = types.ModuleType("flaxish")
    flaxish.__file__ = f"{root}/.venv/lib/python3.11/site-packages/flaxish/__init__.py"
    monkeypatch.setattr(modules, "_modules_before", set(sys.modules))
    monkeypatch.setitem(sys.modules, "mine_helpers", mine)
    monkeypatch.setitem(sys.modules, "flaxish", flaxish)
    modules.note_imports([root])
    modules.forget_user_modules()
    assert "mine_helpers" not in sys.modules and sys.modules["flaxish"] is flaxish
