"""Writing files safely: all at once, never over a file of the user's, never over a device.

``check_target`` decides whether a path may be written: a new file yes; a previous output of
ours (told by ``is_ours``) yes; anything else (the user's source, an input of the run, any
other file) only when the user said ``--force``; a non-regular file (a device, a folder, a
FIFO, a symlink) never. ``write_atomic`` then writes through a temporary file and a rename, so
no partial file is ever left behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path


class FileError(Exception):
    """A file that could not be written; the message says which file and why."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def check_target(path: Path, is_ours: Callable[[Path], bool], inputs: Iterable[Path] = (),
                 force: bool = False) -> None:
    """Raise FileError unless writing ``path`` can lose nothing the user did not agree to."""
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FileError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise FileError(f"will not write {path}: it is not a regular file (a device, folder, "
                        f"link or pipe), and jaxviz never replaces one; choose a file name")
    if force:
        return
    if any(_same_file(path, Path(i)) for i in inputs):
        raise FileError(f"will not write {path}: it is an input of this run (your source "
                        f"file); choose another name, or pass --force to replace it")
    if not is_ours(path):
        raise FileError(f"will not write {path}: the file exists and is not an earlier "
                        f"export of jaxviz in this format; choose another name, or pass "
                        f"--force to replace it")


def _check_folder(path: Path) -> Path:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise FileError(f"cannot write {path}: the folder {folder} is not writable")
    return folder


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` all at once: no partial file is ever left behind, and a
    non-regular file (``/dev/full``, a folder, a symlink) is never replaced."""
    path = Path(path)
    folder = _check_folder(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
            raise FileError(f"will not write {path}: it is not a regular file, and jaxviz "
                            f"never replaces one")
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise FileError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path
