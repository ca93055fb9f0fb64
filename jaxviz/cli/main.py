"""``jaxviz [FILE]`` opens the app; ``jaxviz SUBCOMMAND ...`` runs one headless command: the
parsers, the dispatch, and the signal handling that ends a command without leaving a worker."""

from __future__ import annotations

import argparse
import signal
import sys

from jaxviz.cli.common import (
    OVERLAY_CHOICES,
    CliError,
    close_early,
    device_count,
    safe,
    start_early,
)
from jaxviz.cli.early import host_devices_ahead
from jaxviz.core.errors import exit_code

from . import (
    cmd_below,
    cmd_devices,
    cmd_diff,
    cmd_export,
    cmd_retrace,
    cmd_sharding,
    cmd_trace,
    cmd_values,
)

MODULES = (cmd_trace, cmd_export, cmd_diff, cmd_devices, cmd_retrace, cmd_below, cmd_values,
           cmd_sharding)
COMMANDS = {name: run for module in MODULES for name, run in module.COMMANDS.items()}
SUBCOMMANDS = tuple(COMMANDS)


def build_parser() -> argparse.ArgumentParser:
    """The subcommand parser (``jaxviz trace ...`` and the others)."""
    parser = argparse.ArgumentParser(prog="jaxviz", description="See what grad, vmap, jit and "
                                     "pmap do to JAX code.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in MODULES:
        module.add_parser(sub)
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
    parser.add_argument("--color-by", choices=OVERLAY_CHOICES,
                        help="open on the stage that was compiled, coloured by this overlay "
                             "(values: the last stage, run on values)")
    parser.add_argument("--find-nan", action="store_true",
                        help="after the trace, run the stage on values and go to the first "
                             "NaN or Inf, coloured by values (Run → Find first NaN or Inf)")
    parser.add_argument("--tab", choices=("jaxpr", "details", "devices", "xla", "collectives"),
                        help="the side tab to show first")
    return parser


def run_subcommand(argv: list[str]) -> int:
    start_early(host_devices_ahead(argv))
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except CliError as exc:
        print(f"jaxviz {args.command}: error: {safe(exc.info.summary())}", file=sys.stderr)
        return exit_code(exc.info)
    finally:
        close_early()


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
    missing = no_display(args)
    if missing:
        print(missing, file=sys.stderr)
        return 2
    from jaxviz.ui.app import run_app  # Qt is imported only when the window is wanted

    return run_app(args)


def no_display(args: argparse.Namespace) -> str:
    """What to say when there is no screen to open the window on (Qt would abort with a
    misleading word about libxcb-cursor0); ``--screenshot`` needs none: it renders offscreen."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM") or \
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    if getattr(args, "screenshot", None):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return ""
    return ("jaxviz: no display found (DISPLAY and WAYLAND_DISPLAY are not set: ssh without "
            "-X?), and the window needs one.\n"
            "Fix: run it where there is a screen (ssh -X, or xvfb-run jaxviz); or render the "
            "window to a file with `jaxviz --screenshot out.png`, or run it unseen with "
            "QT_QPA_PLATFORM=offscreen; the commands (jaxviz export, trace, diff, ...) need "
            "no screen")
