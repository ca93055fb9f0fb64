"""The command line: ``jaxviz [FILE]`` opens the app; subcommands work headless.

    jaxviz [FILE] [-f NAME] [-a ARGS] [-p PIPELINE] [--screenshot OUT.png]
    jaxviz trace   FILE -f NAME -a ARGS -p PIPELINE [--json]
    jaxviz export  FILE -f NAME -a ARGS -p PIPELINE -o OUT [--stage K|all] [--format ...]
    jaxviz diff    FILE -f NAME -a ARGS -p PIPELINE [--from I --to J] [--json | --html OUT]
    jaxviz devices [--host-devices N] [--json]
    jaxviz pmap    FILE -f NAME -a ARGS [--host-devices N] [--axis-name NAME] [--json]
    jaxviz bench   FILE -f NAME -a ARGS [--json]

Every subcommand goes through the same worker and the same core as the app. Exit codes: 0 on
success, 2 for an error in the user's input or code (message on stderr), 3 for a timeout or a
crashed worker. This module never imports jax: the worker does.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from jaxviz.core.errors import ErrorInfo, exit_code
from jaxviz.worker import protocol as p
from jaxviz.worker.client import DEFAULT_TIMEOUT, WorkerClient, WorkerError

SUBCOMMANDS = ("trace", "export", "diff", "devices", "pmap", "bench", "retrace", "fusions",
               "cost", "memory", "residuals")


class CliError(Exception):
    """Ends a command with an ErrorInfo printed on stderr and its exit code."""

    def __init__(self, info: ErrorInfo):
        super().__init__(info.summary())
        self.info = info


def _add_source_args(parser: argparse.ArgumentParser, pipeline: bool = True) -> None:
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
    _add_worker_args(parser)


MAX_TIMEOUT = 24 * 3600.0  # seconds
MAX_HOST_DEVICES = 512


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


def _add_worker_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
                        help=f"seconds per request before the worker is stopped "
                             f"(default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--host-devices", type=device_count, default=None, metavar="N",
                        help="simulate N CPU devices (XLA_FLAGS) in the worker")


def build_parser() -> argparse.ArgumentParser:
    """The subcommand parser (``jaxviz trace ...`` and the others)."""
    parser = argparse.ArgumentParser(prog="jaxviz", description="See what grad, vmap, jit and "
                                     "pmap do to JAX code.")
    sub = parser.add_subparsers(dest="command", required=True)
    trace = sub.add_parser("trace", help="print each stage's jaxpr")
    _add_source_args(trace)
    trace.add_argument("--json", action="store_true", help="stages with their graph IR as JSON")
    from jaxviz.cli_commands import add_more_commands
    add_more_commands(sub, _add_source_args, _add_worker_args)
    from jaxviz.cli_below import add_below_commands
    add_below_commands(sub, _add_source_args)
    return parser


def build_app_parser() -> argparse.ArgumentParser:
    """The parser for ``jaxviz [FILE] ...``, which opens the window."""
    parser = argparse.ArgumentParser(
        prog="jaxviz", epilog=f"subcommands: {', '.join(SUBCOMMANDS)} (jaxviz SUBCOMMAND -h)",
        description="Open the jaxviz window (on a built-in example when no FILE is given).")
    parser.add_argument("file", nargs="?", help="a Python file to open, or pkg.module[:function]")
    parser.add_argument("--path", action="append", default=[], metavar="DIR",
                        help="a folder to import from (repeatable)")
    parser.add_argument("-f", "--function", help="the function to trace")
    parser.add_argument("-a", "--args", help="the call's arguments")
    parser.add_argument("-p", "--pipeline", help="transforms, e.g. 'grad | vmap | jit'")
    parser.add_argument("--screenshot", metavar="OUT.png", help="open, trace, draw, save a PNG "
                        "of the window, and exit")
    parser.add_argument("--host-devices", type=device_count, default=None, metavar="N")
    parser.add_argument("--no-restore", action="store_true",
                        help="start without restoring the last session")
    parser.add_argument("--color-by", choices=("kind", "fusion", "flops", "transcendentals",
                                               "bytes", "memory", "residuals"),
                        help="open on the stage that was compiled, coloured by this overlay")
    parser.add_argument("--tab", choices=("jaxpr", "details", "devices", "xla"),
                        help="the side tab to show first")
    return parser


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


def make_client(args: argparse.Namespace) -> WorkerClient:
    return WorkerClient(host_devices=args.host_devices, timeout=args.timeout)


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
        raise CliError(ErrorInfo.from_dict(response.error))
    return response


def source_fields(args: argparse.Namespace) -> dict:
    """The fields every request about the user's code has: the text of the file (found from
    FILE, FILE:function or pkg.module:function), the function, the arguments, the import
    roots."""
    from jaxviz.core.source import SourceError, resolve_target

    try:
        path, named = resolve_target(args.file, args.path)
    except SourceError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None
    source = read_source(path)
    return {"source": source, "function": default_function(source, args.function or named),
            "args": args.args, "filename": str(Path(path).resolve()),
            "paths": [str(Path(d).resolve()) for d in args.path]}


def trace_request(args: argparse.Namespace, layout: dict | None = None) -> p.TraceRequest:
    return p.TraceRequest(**source_fields(args), pipeline=getattr(args, "pipeline", ""),
                          layout=layout)


def count_text(stage: dict) -> str:
    from jaxviz.core.ir import Stage

    return Stage(0, "", "", stage["equations"], None,
                 printed_equations=stage.get("printed_equations")).count_text()


def partial_error(result: p.TraceResult) -> None:
    """Stages before a failing one are still printed; then the error ends the command."""
    if result.error:
        raise CliError(ErrorInfo.from_dict(result.error))


def cmd_trace(args: argparse.Namespace) -> int:
    result = call_worker(args, trace_request(args))
    if args.json:
        keys = ("title", "jaxpr", "equations", "printed_equations", "notes", "graph")
        stages = [{k: s[k] for k in keys} for s in result.stages]
        print(json.dumps({"stages": stages}, indent=1))
    else:
        for stage in result.stages:
            print(f"== {stage['title']}  ({count_text(stage)})")
            print(stage["jaxpr"])
            for n in stage.get("notes", []):
                where = f"line {n['line']}: " if n.get("line") else ""
                hint = f"  (fix: {n['hint']})" if n.get("hint") else ""
                print(f"note: {where}{n['message']}{hint}")
            print()
    partial_error(result)
    return 0


def run_subcommand(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from jaxviz.cli_below import COMMANDS as BELOW_COMMANDS
    from jaxviz.cli_commands import COMMANDS
    handler = {"trace": cmd_trace, **COMMANDS, **BELOW_COMMANDS}[args.command]
    try:
        return handler(args)
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except CliError as exc:
        print(f"jaxviz {args.command}: error: {exc.info.summary()}", file=sys.stderr)
        return exit_code(exc.info)


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (so the worker's group is killed) and exit."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame) -> None:
    raise Stopped(signum)


def run_stoppable(argv: list[str]) -> int:
    """A subcommand that ends cleanly on Ctrl-C, SIGTERM and SIGHUP: no traceback, no worker
    left behind (the ``finally`` in ``call_worker`` kills its process group)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    try:
        return run_subcommand(argv)
    except KeyboardInterrupt:
        print("jaxviz: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Stopped as exc:
        print(f"jaxviz: stopped by {signal.Signals(exc.signum).name}", file=sys.stderr)
        return 128 + exc.signum


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        return run_stoppable(argv)
    args = build_app_parser().parse_args(argv)
    import importlib.util
    if importlib.util.find_spec("jaxviz.ui.app") is None:  # the app is not built yet
        build_app_parser().print_help()
        return 0
    from jaxviz.ui.app import run_app  # Qt is imported only when the window is wanted

    return run_app(args)
