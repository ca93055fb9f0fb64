"""The architecture stays as drawn: import boundaries (import-linter) and ruff."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or \
        shutil.which("lint-imports") or pytest.fail("import-linter is not installed")
    result = run(exe)
    assert result.returncode == 0, result.stdout + result.stderr


IMPORT_ALL = ("import importlib, pkgutil, sys\n"
              "import jaxviz.{pkg}\n"
              "for m in pkgutil.walk_packages(jaxviz.{pkg}.__path__, 'jaxviz.{pkg}.'):\n"
              "    importlib.import_module(m.name)\n"
              "import jaxviz.cli, jaxviz.cli_commands, jaxviz.worker.client\n"
              "bad = [m for m in sys.modules if m.split('.')[0] in {banned}]\n"
              "assert not bad, bad\n")


def test_window_process_never_imports_jax_at_runtime():
    code = IMPORT_ALL.format(pkg="ui", banned=("jax", "jaxlib"))
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr


def test_core_imports_neither_qt_nor_jax_at_runtime():
    code = IMPORT_ALL.format(pkg="core", banned=("jax", "jaxlib", "PySide6"))
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr


def test_ruff_is_clean():
    result = run(sys.executable, "-m", "ruff", "check", ".")
    assert result.returncode == 0, result.stdout
