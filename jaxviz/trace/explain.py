"""Turn whatever went wrong in user code into an ErrorInfo: the line, plain words, and the fix.

JAX's tracer errors are explained with the fix that fits (``jnp.where``/``lax.cond`` for a
branch on a value, ``static_argnums`` for an argument used as a Python value). Tracebacks are
cut down to the user's own frames: nothing from inside JAX or other libraries.
"""

from __future__ import annotations

import linecache
import re
import sys
import traceback
from collections.abc import Callable

import jax

from jaxviz.core.errors import ErrorInfo

MAX_DETAILS = 4000

_TRACER_HINTS: list[tuple[type, str, str]] = [
    (jax.errors.TracerBoolConversionError,
     "A Python `if`, `while`, `and`/`or` or `bool()` depends on a traced value: under "
     "jit, grad and vmap its value is not known while tracing.",
     "use jnp.where(cond, a, b) or jax.lax.cond(cond, f_true, f_false, x) for a branch on "
     "values; or, if the argument is a Python setting, mark it static: jit(static_argnums=...)"),
    (jax.errors.TracerIntegerConversionError,
     "A traced value is used as a Python int (an index, a range, a shape or a count).",
     "mark that argument static with jit(static_argnums=...), or use "
     "jax.lax.dynamic_slice / jax.lax.fori_loop, which take traced indices"),
    (jax.errors.TracerArrayConversionError,
     "A traced value was handed to NumPy (np.* or np.asarray), which needs a concrete array.",
     "use the jax.numpy function (jnp.*) instead of numpy inside the traced function"),
    (jax.errors.UnexpectedTracerError,
     "A traced value leaked out of the transformation that made it (saved in a global, a "
     "closure or an object) and was used after tracing ended.",
     "return the value from the function instead of storing it; keep functions pure"),
    (jax.errors.ConcretizationTypeError,
     "The code needs a concrete value where JAX only has an abstract (traced) one.",
     "mark the argument static with jit(static_argnums=...), or replace the Python control "
     "flow with jnp.where / jax.lax.cond / jax.lax.fori_loop"),
]

# errors JAX raises after the user's function returned (no frame of theirs): the call to name
_CALLS_NAMED = {r"Reverse-mode differentiation does not work for lax\.while_loop": "while_loop",
                r"can't apply forward-mode autodiff \(jvp\) to a custom_vjp function":
                "custom_vjp"}
# (pattern in the message, plain words, fix) for errors JAX raises as plain TypeError/ValueError.
_MESSAGE_HINTS: list[tuple[str, str, str]] = [
    (r"Gradient only defined for scalar-output functions\. Output was None",
     "grad needs a function that returns one scalar, but this one returns None.",
     "add the missing `return` (a function without one returns None)"),
    (r"Gradient only defined for scalar-output functions",
     "grad needs a function that returns one scalar, but this one returns an array.",
     "use jacrev (or jacfwd) for the full Jacobian, or reduce the output, e.g. "
     "return loss.sum() or .mean()"),
    (r"Reverse-mode differentiation does not work for lax\.while_loop",
     "Reverse-mode differentiation (grad, jacrev) cannot go through lax.while_loop: its "
     "number of iterations is not known.",
     "use lax.scan or lax.fori_loop with static bounds, or forward mode (jacfwd)"),
    (r"can't apply forward-mode autodiff \(jvp\) to a custom_vjp function",
     "Forward-mode differentiation (jacfwd, jvp, hessian) cannot go through a custom_vjp "
     "function: it only defines a reverse-mode rule.",
     "use grad or jacrev, or define the rule with jax.custom_jvp instead"),
    (r"unbound axis name",
     "A collective (psum, pmean, all_gather, axis_index) names an axis that no transformation "
     "binds here.",
     "run it under pmap(axis_name='i') or vmap(axis_name='i') — in the pipeline, or with the "
     "device panel's pmap — using the same name"),
    (r"(Incompatible shapes|incompatible shapes|shapes? .* (must|should) (be|have)|"
     r"dot_general requires|cannot reshape|got incompatible)",
     "Shape mismatch.", "check the shapes of the arguments; a vmap stage sees them with the "
                        "mapped axis removed"),
]


def explain(exc: BaseException, user_file: str, stage: str = "", kind: str = "trace"
            ) -> ErrorInfo:
    """An ErrorInfo for an exception raised by user code or by JAX while tracing it."""
    line, column = user_location(exc, user_file)
    name = type(exc).__name__
    original = _first_line(exc)
    info = ErrorInfo(kind=kind, message=f"{name}: {original}", line=line, column=column,
                     exception=name, stage=stage, details=user_traceback(exc, user_file))
    for cls, words, fix in _TRACER_HINTS:
        if isinstance(exc, cls):
            info.message, info.hint = f"{name}: {words}", fix
            return info
    if not isinstance(exc, Exception):  # KeyboardInterrupt, GeneratorExit, a BaseException
        info.message = f"Your code raised {name} ({original}): it was stopped and reported, " \
                       f"as any error is."
        info.hint = "raise an Exception subclass for errors; BaseExceptions such as " \
                    "KeyboardInterrupt are meant to stop a whole program"
        return info
    if isinstance(exc, RecursionError):
        info.message = f"RecursionError: calls nest deeper than Python's limit of " \
                       f"{sys.getrecursionlimit()} frames: a recursion without end, or a " \
                       f"finite one too deep for Python."
        info.hint = "check the recursion's base case; for a deep one, write it as a loop " \
                    "(lax.fori_loop or lax.scan under jit)"
        return info
    for pattern, words, fix in _MESSAGE_HINTS:
        if re.search(pattern, str(exc)):
            info.message = f"{name}: {words} {original}" if words == "Shape mismatch." \
                else f"{name}: {words}"
            info.hint = fix
            if info.line is None and pattern in _CALLS_NAMED:
                info.line = line_calling(user_file, _CALLS_NAMED[pattern])
            return info
    return info


def line_calling(user_file: str, callee: str) -> int | None:
    """The first line of the user's file that calls ``callee``: for an error JAX raises
    after the user's function has returned (a transpose), with none of its frames."""
    pattern = re.compile(rf"\b{re.escape(callee)}\s*\(")
    for number, text in enumerate(linecache.getlines(user_file), start=1):
        if pattern.search(text.split("#")[0]):
            return number
    return None


def exit_error(exc: SystemExit, user_file: str, stage: str = "") -> ErrorInfo:
    """``sys.exit`` in the user's code, with its line."""
    return ErrorInfo(kind="exit", message=f"The code called sys.exit({exc.code!r}).",
                     hint="remove the sys.exit call: jaxviz runs your module to find the "
                          "function, and traces the function", stage=stage,
                     line=user_location(exc, user_file)[0])


def user_location(exc: BaseException, user_file: str) -> tuple[int | None, int | None]:
    """Line and column of the innermost frame in the user's file."""
    if isinstance(exc, SyntaxError) and exc.filename == user_file:
        return exc.lineno, (exc.offset - 1) if exc.offset else None
    found: tuple[int | None, int | None] = (None, None)
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == user_file:
            found = (lineno, None)
    if found[0] is None:
        found = _line_from_message(str(exc), user_file)
    return found


def _line_from_message(message: str, user_file: str) -> tuple[int | None, int | None]:
    """JAX names the traced function's location in some messages: ``at <editor>:3``."""
    match = re.search(re.escape(user_file) + r":(\d+)", message)
    return (int(match.group(1)), None) if match else (None, None)


def user_traceback(exc: BaseException, user_file: str) -> str:
    """The traceback cut down to the user's frames, then the exception's own message."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == user_file]
    lines = [f"  line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in frames]
    text = "\n".join(lines + [f"{type(exc).__name__}: {exc}"])
    return text[:MAX_DETAILS]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    return first if len(first) <= 300 else first[:299] + "…"


def guarded(kind: str, user_file: str, stage: str = "") -> Callable:
    """Decorator-free helper: run ``fn`` and turn any exception into an ErrorInfo result."""
    def run(fn: Callable, *args, **kwargs):
        try:
            return fn(*args, **kwargs), None
        except SystemExit as exc:
            return None, exit_error(exc, user_file, stage)
        except BaseException as exc:  # KeyboardInterrupt too: user code must not end the worker
            return None, explain(exc, user_file, stage, kind)
    return run
