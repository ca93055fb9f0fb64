"""What every subcommand shares: the source and worker options, reading the user's file,
one request to the worker, and the error that ends a command with its exit code.

Like the whole CLI, it never imports jax: the worker does.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from jaxviz.cli.early import MAX_HOST_DEVICES
from jaxviz.core.errors import ErrorInfo
from jaxviz.worker import protocol as p
from jaxviz.worker.client import DEFAULT_TIMEOUT, WorkerClient, WorkerError
from jaxviz.worker.spawn import discard_waiting

OVERLAY_CHOICES = ("kind", "fusion", "flops", "transcendentals", "bytes", "memory", "residuals",
                   "values", "communication")


class CliError(Exception):
    """Ends a command with an ErrorInfo printed on stderr and its exit code."""

    def __init__(self, info: ErrorInfo):
        super().__init__(info.summary())
        self.info = info


MAX_TIMEOUT = 24 * 3600.0  # seconds
# C0 and C1 controls, and the characters that move or reorder text: line and paragraph
# separators, bidi embeddings, overrides and isolates (a name could reverse what follows it)
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7f, 0xa0)]} | \
    {c: f"\\u{c:04x}" for c in [0x200e, 0x200f, 0x2028, 0x2029, *range(0x202a, 0x202f),
                                 *range(0x2066, 0x206a)]}


def safe(text: str, lines: bool = True) -> str:
    """Text from the user's code (a function's name, a scope, a message) fit for a terminal:
    control characters written escaped (``\\x1b``), so none can colour, move the cursor or
    forge a line of ours; newlines and tabs are kept where ``lines``."""
    table = dict(_CONTROL)
    if lines:
        table.pop(ord("\n")), table.pop(ord("\t"))
    return text.translate(table)


def ranged(cast: type, low: float, high: float, what: str) -> Callable[[str], float]:
    """An argparse type: a number from ``low`` (excluded for floats) to ``high``; nan, inf
    and anything outside are refused with what is allowed."""
    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            value = math.nan
        inside = (low < value <= high) if cast is float else (low <= value <= high)
        if not inside:  # also true for nan
            bound = "above" if cast is float else "from"
            raise argparse.ArgumentTypeError(f"{text!r}: give {what} {bound} {low:g} to "
                                             f"{high:g}")
        return value
    return parse


positive_seconds = ranged(float, 0, MAX_TIMEOUT, "a number of seconds")
device_count = ranged(int, 1, MAX_HOST_DEVICES, "a whole number of devices")



def add_worker_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
                        help=f"seconds per request before the worker is stopped "
                             f"(default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--host-devices", type=device_count, default=None, metavar="N",
                        help="simulate N CPU devices (XLA_FLAGS) in the worker")


def add_source_args(parser: argparse.ArgumentParser, pipeline: bool = True) -> None:
    parser.add_argument("file", help="a Python file defining the function, or a module: "
                        "pkg.module or pkg.module:function")
    parser.add_argument("-f", "--function", help="the function to trace (default: the first "
                                                 "one defined in FILE)")
    parser.add_argument("-a", "--args", default="", help="the call's arguments, e.g. "
                        "'2.0' or 'params, f32[8,784]'")
    if pipeline:
        parser.add_argument("-p", "--pipeline", default="", help="transforms applied left to "
                            "right, e.g. 'grad | vmap(in_axes=(0, None)) | jit'")
    parser.add_argument("--path", action="append", default=[], metavar="DIR",
                        help="a folder to import from (repeatable); FILE's package root is "
                             "found by itself")
    add_worker_args(parser)


def read_source(path: str) -> str:
    from jaxviz.core.source import SourceError, read_python

    try:
        return read_python(path)
    except SourceError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None


def default_function(source: str, given: str | None) -> str:
    """The function asked for, or the first one the file defines."""
    if given:
        return given
    from jaxviz.core.source import parses, top_level_functions

    names = top_level_functions(source)
    if not names and not parses(source):
        return "<none>"  # the worker compiles the file first, and names the syntax error
    if not names:
        raise CliError(ErrorInfo(kind="function", message="the file defines no function; "
                                                          "name one with -f"))
    return names[0]


_early: list[WorkerClient] = []  # the worker started before the arguments were parsed


def start_early(host_devices: int | None) -> WorkerClient:
    """Spawn the worker at once (it imports JAX, the longest step, while this process parses
    the arguments and reads the file); ``make_client`` hands it to the command."""
    client = WorkerClient(host_devices=host_devices)
    client.start()
    _early.append(client)
    return client


def make_client(args: argparse.Namespace) -> WorkerClient:
    for client in list(_early):
        if client.host_devices == args.host_devices:
            _early.remove(client)
            client.timeout = args.timeout
            return client
    return WorkerClient(host_devices=args.host_devices, timeout=args.timeout)


def close_early() -> None:
    """Stop an early worker no command took (an argument error, --help)."""
    while _early:
        _early.pop().close()
    discard_waiting()


def call_worker(args: argparse.Namespace, request) -> object:
    """Send one request; worker failures and user errors become CliError."""
    client = make_client(args)
    try:
        response = client.call(request)
    except WorkerError as exc:
        raise CliError(exc.info) from None
    finally:
        client.close()
    if getattr(response, "stdout", ""):
        print(response.stdout, file=sys.stderr, end="" if response.stdout.endswith("\n")
              else "\n")
    if isinstance(response, p.Failure):
        raise CliError(response.error)
    return response


def source_fields(args: argparse.Namespace) -> dict:
    """The fields every request about the user's code has: the text of the file (found from
    FILE, FILE:function or pkg.module:function), the function, the arguments, the import
    roots."""
    from jaxviz.core.source import SourceError, import_folder, resolve_target

    try:
        paths = [import_folder(d) for d in args.path]
        path, named = resolve_target(args.file, paths)
    except SourceError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None
    source = read_source(path)
    _example_defaults(args, source, args.function or named)
    return {"source": source, "function": default_function(source, args.function or named),
            "args": args.args, "filename": str(Path(path).resolve()), "paths": paths}


def _example_defaults(args: argparse.Namespace, source: str, function: str) -> None:
    """A built-in example given alone runs as its header says: its function, arguments and
    pipeline (any of them given on the command line wins)."""
    from jaxviz.core.examples import header_entry

    entry = header_entry(source, function) if not args.args else None
    if entry is None:
        return
    args.args = entry.get("args", "")
    args.function = args.function or function or entry.get("function")
    if not getattr(args, "pipeline", "x"):
        args.pipeline = entry.get("pipeline", "")
    print(safe(f"(the example's own call: {args.function}({args.args})"
               f"{' under ' + args.pipeline if getattr(args, 'pipeline', '') else ''})"),
          file=sys.stderr)


def trace_request(args: argparse.Namespace, layout=None) -> p.TraceRequest:
    """The trace the command asks for; ``layout``: LayoutOptions to lay each stage out."""
    return p.TraceRequest(**source_fields(args), pipeline=getattr(args, "pipeline", ""),
                          layout=layout)


def count_text(stage: dict) -> str:
    from jaxviz.core.ir.graph import Stage

    return Stage(0, "", "", stage["equations"], None,
                 printed_equations=stage.get("printed_equations")).count_text()


def partial_error(result: p.TraceResult) -> None:
    """Stages before a failing one are still printed; then the error ends the command."""
    if result.error:
        raise CliError(result.error)


def with_below(pipeline: str, step: str) -> str:
    """The pipeline, ending in lower/compile: ``step`` is added unless it ends so already."""
    from jaxviz.core.pipeline_spec import BELOW, PipelineError, parse_pipeline

    try:
        specs = parse_pipeline(pipeline or "")
    except PipelineError:
        return pipeline  # the worker reports it, with the same message as for trace
    if any(s.name in BELOW for s in specs):
        if step == "compile" and not any(s.name == "compile" for s in specs):
            return f"{pipeline} | compile"
        return pipeline
    return f"{pipeline} | {step}" if (pipeline or "").strip() else step
