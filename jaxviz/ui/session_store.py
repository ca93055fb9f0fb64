"""The autosaved session: editor text, function, arguments, pipeline, file, recent files.

Saved (atomically) a moment after every change and at every trace, so a crash or a kill loses
at most the last half second of typing; restored at the next launch. The folder is
``$JAXVIZ_HOME`` when set (tests use it), else Qt's per-user application data folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from ..core.export.files import FileError, write_atomic

MAX_RECENT = 10


@dataclass
class Session:
    source: str = ""
    function: str = ""
    args: str = ""
    pipeline: str = ""
    file: str = ""  # the .py file the text came from, "" when unsaved
    recent: list[str] = field(default_factory=list)
    host_devices: int = 4  # simulated CPU devices of the worker
    timeout: float = 30.0  # seconds a trace may run
    paths: list[str] = field(default_factory=list)  # extra import roots (--path)
    rankdir: str = "TB"
    edge_labels: bool = True
    # True from a trace's start to its answer: still True at the next launch means jaxviz
    # stopped during that trace, so the restored code is not traced again until asked
    trace_in_flight: bool = False


def home() -> Path:
    """``$JAXVIZ_HOME``, else ``<data>/jaxviz`` (``~/.local/share/jaxviz`` on Linux). Qt's
    AppDataLocation already ends in the application's name, so ``jaxviz`` was doubled there
    (``.../jaxviz/jaxviz``): ``legacy_home`` is still read once, when nothing is here yet."""
    env = os.environ.get("JAXVIZ_HOME")
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / "jaxviz"


def legacy_home() -> Path | None:
    if os.environ.get("JAXVIZ_HOME"):
        return None
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "jaxviz" if base else None


class SessionStore:
    def __init__(self, folder: Path | None = None):
        self.path = (folder or home()) / "session.json"
        old = legacy_home() if folder is None else None
        self.legacy = old / "session.json" if old else None

    def load(self) -> Session | None:
        """The last session, or None when there is none (or it cannot be read)."""
        path = self.path
        if not path.exists() and self.legacy is not None and self.legacy.exists():
            path = self.legacy  # written by an earlier jaxviz; saved here from now on
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        known = Session.__dataclass_fields__
        return Session(**{k: v for k, v in data.items() if k in known})

    def save(self, session: Session) -> None:
        # autosave must never interrupt the user; the next change tries again
        with contextlib.suppress(FileError, OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(asdict(session), indent=1).encode())


def add_recent(session: Session, path: str) -> None:
    session.recent = [path] + [p for p in session.recent if p != path]
    del session.recent[MAX_RECENT:]
