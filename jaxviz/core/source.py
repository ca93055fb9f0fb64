"""The user's source read without running it: the file's text as Python reads it (a BOM, a
coding cookie), and its top-level functions."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path


class SourceError(Exception):
    """A file that cannot be read as Python source; the message says which and why."""


def read_python(path: str | Path) -> str:
    """The text of a .py file decoded as Python decodes it: UTF-8 by default, a UTF-8 BOM or a
    ``# -*- coding: ... -*-`` cookie honoured; a binary file is refused with a message."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\0" in data:
        raise SourceError(f"{path} is a binary file, not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError) as exc:  # an unknown or malformed coding cookie
        raise SourceError(f"cannot read {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"cannot read {path}: byte {exc.start} is not valid {exc.encoding}; "
                          f"save the file as UTF-8 or declare its encoding in a "
                          f"'# -*- coding: ... -*-' line") from None


def top_level_functions(source: str) -> list[str]:
    """Names of the module's top-level ``def``s, in order; [] when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def parses(source: str) -> bool:
    """Whether the text is valid Python (the worker names the error when it is not)."""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp,
          ast.GeneratorExp)


def loop_spans(source: str) -> list[list[int]]:
    """[first, last] lines of every loop statement and comprehension; [] when unparsable."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [[n.lineno, n.end_lineno or n.lineno] for n in ast.walk(tree)
            if isinstance(n, _LOOPS)]


_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def import_folder(path: str) -> str:
    """A ``--path`` folder, absolute; SourceError when it cannot be one (missing, a file, a
    link that leads back to itself)."""
    try:
        folder = Path(path).expanduser().resolve(strict=True)
    except FileNotFoundError:
        raise SourceError(f"--path {path}: no such folder") from None
    except (RuntimeError, OSError) as exc:  # a symlink loop ("Symlink loop", ELOOP)
        raise SourceError(f"--path {path}: cannot be followed ({exc}); give the folder "
                          f"itself, not a link that leads back to itself") from None
    if not folder.is_dir():
        raise SourceError(f"--path {path}: not a folder; give the folder that holds your "
                          f"package")
    return str(folder)


def resolve_target(text: str, roots: list[str]) -> tuple[str, str | None]:
    """``FILE``, ``FILE:function``, ``pkg.module`` or ``pkg.module:function`` → the file and
    the function named (None when none is). A module is looked up in ``roots`` (the --path
    folders, then the current one) by its path, without importing anything: the CLI and the
    window never run user code."""
    head, sep, function = text.rpartition(":")
    if not sep or Path(text).exists() or not _DOTTED.match(function):
        head, function = text, None
    if Path(head).exists() or not _DOTTED.match(head) or head.endswith((".py", ".pyw")):
        return head, function  # a file (missing files are reported when read)
    relative = Path(*head.split("."))
    for root in [*roots, "."]:
        for candidate in (Path(root) / relative.with_suffix(".py"),
                          Path(root) / relative / "__init__.py"):
            if candidate.is_file():
                return str(candidate), function
    looked = ", ".join(str(Path(r).resolve()) for r in [*roots, "."])
    raise SourceError(f"no module {head!r}: looked for {relative}.py and {relative}/__init__.py "
                      f"in {looked}; give the folder that holds it with --path DIR")
