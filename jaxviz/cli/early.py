"""What the command line does before it imports anything else: start the JAX worker that the
subcommand will want (``jaxviz.worker.spawn``), so JAX imports while the rest of the CLI loads,
parses the arguments and reads the file. Standard library only.
"""

from __future__ import annotations

MAX_HOST_DEVICES = 512  # simulated CPU devices a worker may be asked for

# the subcommands that run a JAX worker: it starts before anything else is imported
WORKER_COMMANDS = ("trace", "export", "diff", "retrace", "devices", "pmap", "bench",
                   "fusions", "cost", "memory", "residuals", "values", "sharding")


def start_worker_first(argv: list[str]) -> None:
    """Start the worker a subcommand will ask for (not for ``--help``)."""
    if argv and argv[0] in WORKER_COMMANDS and "-h" not in argv and "--help" not in argv:
        from jaxviz.worker.spawn import prespawn

        prespawn(host_devices_ahead(argv))


def host_devices_ahead(argv: list[str]) -> int | None:
    """``--host-devices N`` (or ``=N``) read ahead of the parser, for the worker started
    first; a bad value starts the default worker, and the parser then says what is wrong."""
    for k, flag in enumerate(argv):
        name, eq, value = flag.partition("=")
        if name == "--host-devices":
            value = value if eq else (argv[k + 1] if k + 1 < len(argv) else "")
            return int(value) if value.isdigit() and 0 < int(value) <= MAX_HOST_DEVICES \
                else None
    return None
