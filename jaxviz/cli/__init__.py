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
crashed worker. The package never imports jax: the worker does. ``main`` parses and dispatches;
``common`` holds what the subcommands share; each ``cmd_*`` module is one or a few subcommands.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """The ``jaxviz`` command."""
    from jaxviz.cli.early import start_worker_first

    argv = sys.argv[1:] if argv is None else argv
    start_worker_first(argv)
    from jaxviz.cli.main import main as run

    return run(argv)
