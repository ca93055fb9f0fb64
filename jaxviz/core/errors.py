"""The one error type users see: what went wrong, where in their code, and the fix that fits.

Built in the worker from whatever went wrong (a syntax error, a tracer error, a crash), carried
over the protocol as plain data, and shown by the app's error panel and the CLI alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Kinds of error, and the CLI exit code each maps to.
USER_KINDS = ("syntax", "module", "function", "arguments", "pipeline", "trace", "exit", "input")
WORKER_KINDS = ("timeout", "crash", "cancelled")


@dataclass
class ErrorInfo:
    """A user-facing error."""

    kind: str  # one of USER_KINDS or WORKER_KINDS
    message: str  # one or two plain sentences
    line: int | None = None  # 1-based line in the user's source, where there is one
    column: int | None = None  # 0-based column, where known
    hint: str = ""  # the fix that fits, where we know one
    exception: str = ""  # the exception's type name, e.g. "TracerBoolConversionError"
    stage: str = ""  # the stage being traced, e.g. "jit(f)"
    details: str = ""  # user frames of the traceback and the original message, for "more"

    def summary(self) -> str:
        """One block of text: where, what, and the fix."""
        where = f"line {self.line}" if self.line else ""
        if self.line and self.column is not None:
            where += f", column {self.column + 1}"
        head = f"{where}: " if where else ""
        stage = f" [{self.stage}]" if self.stage else ""
        text = f"{head}{self.message}{stage}"
        if self.hint:
            text += f"\nFix: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ErrorInfo:
        return cls(**data)


def exit_code(info: ErrorInfo) -> int:
    """2 for an error in the user's input or code, 3 for a timeout or a crashed worker."""
    return 3 if info.kind in WORKER_KINDS else 2
