"""The document: the program the user works on and what was derived from it, in one place.

Qt-free (plain Python, tested without a window): the window tells it what happened (a program
loaded, an edit, a trace answered or failed, a cancel) and the views subscribe to its events,
as napari's views do with their models. What each event means for what is shown is decided
here, once:

- ``program_changed``: another example or file. Nothing derived from the old program is
  true of the new one: the graph, the stages, the error, the device results all go.
- ``inputs_changed``: an edit of the code, function, arguments or pipeline. The last good
  stages stay up, marked stale; the error is kept, marked stale (its line marker goes: the
  line it named may have moved).
- ``traced``: a trace answered: its stages are current, and so is its error (or none).
- ``error_changed``: the error, and whether it belongs to the code as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ErrorInfo
from .stage_set import StageSet, release_later


class Event:
    """A list of callbacks: ``connect`` one, ``emit`` calls each with the arguments."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)


@dataclass
class Document:
    """What is being worked on, and whether what is shown still matches it."""

    origin: str = ""  # the example's title or the file's path it was loaded from
    file: str = ""  # the file it is saved to ("" for an example or a new module)
    edited: bool = False  # changed since it was loaded or saved
    error: ErrorInfo | None = None
    error_current: bool = True  # the error belongs to the inputs as they are now
    stages_current: bool = True  # the stages shown were traced from the inputs as they are
    has_stages: bool = False
    generation: int = 0  # one more at every load and edit: an answer asked before is stale
    # derived from the inputs: the stages of the last good trace (their models hold the open
    # groups), the selection in the stage shown, the device panel's last results
    stages: StageSet = field(default_factory=StageSet)
    selection: list[str] = field(default_factory=list)
    device_results: dict[str, Any] = field(default_factory=dict)  # "pmap", "bench", ...
    program_changed: Event = field(default_factory=Event)
    inputs_changed: Event = field(default_factory=Event)
    traced: Event = field(default_factory=Event)
    error_changed: Event = field(default_factory=Event)
    title_changed: Event = field(default_factory=Event)

    # --- what happened --------------------------------------------------------------------

    def load(self, origin: str, file: str = "") -> None:
        """Another program: an example (``origin`` its title) or a file."""
        self.origin, self.file, self.edited = origin, file, False
        self.generation += 1
        self.error, self.error_current = None, True
        self.stages_current, self.has_stages = True, False
        old, self.stages = self.stages, StageSet()
        self.selection, self.device_results = [], {}
        self.program_changed.emit()
        release_later(old)
        self.error_changed.emit(None, True)
        self.title_changed.emit(self.title())

    def edit(self) -> None:
        """The code, the function, the arguments or the pipeline changed."""
        was_edited = self.edited
        self.edited = True
        self.generation += 1
        self.stages_current = not self.has_stages
        self.device_results = {}  # they ran other inputs
        if self.error is not None and self.error_current:
            self.error_current = False
            self.error_changed.emit(self.error, False)
        self.inputs_changed.emit()
        if not was_edited:
            self.title_changed.emit(self.title())

    def saved(self, file: str) -> None:
        self.file, self.edited = file, False
        self.title_changed.emit(self.title())

    def answered(self, error: ErrorInfo | None, stages: StageSet | None = None) -> None:
        """A trace of the current inputs answered: its stages (None: none came), an error,
        both (the stages before the failing one) or neither."""
        if stages is not None and stages.stages:
            old, self.stages, self.selection = self.stages, stages, []
            self.has_stages, self.stages_current = True, True
            self.traced.emit()
            release_later(old)  # once every view shows the new stages
        elif self.has_stages:
            self.stages_current = False  # the graph up is the last good one, not this code's
        self.error, self.error_current = error, True
        self.error_changed.emit(error, True)

    def cancelled(self) -> None:
        """A trace was cancelled: what is up stays as it was (stale if it was)."""
        self.error_changed.emit(self.error, self.error_current)

    # --- what to show ---------------------------------------------------------------------

    def title(self) -> str:
        """The window title: the file's name, or the example's title, or "untitled"; an
        example that was edited is the user's own code now."""
        if self.file:
            name = Path(self.file).name
            return f"{name}{' •' if self.edited else ''} — jaxviz"
        if self.origin and not self.edited:
            return f"{self.origin} — jaxviz"
        return f"untitled{f' (from {self.origin})' if self.origin else ''} — jaxviz"
