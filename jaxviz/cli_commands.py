"""The CLI's subcommands beyond ``trace``: each parses its options and calls the worker/core.

Kept apart from ``jaxviz.cli`` so each module stays short; like it, never imports jax.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from jaxviz.worker import protocol as p


def add_more_commands(sub, add_source_args: Callable, add_worker_args: Callable) -> None:
    devices = sub.add_parser("devices", help="list the worker's local devices")
    add_worker_args(devices)
    devices.add_argument("--json", action="store_true")


def cmd_devices(args: argparse.Namespace) -> int:
    from jaxviz.cli import call_worker

    result = call_worker(args, p.DevicesRequest())
    if args.json:
        print(json.dumps({"default_backend": result.default_backend, "devices": result.devices},
                         indent=1))
        return 0
    print(f"default backend: {result.default_backend}")
    for d in result.devices:
        memory = f"  {d['memory_bytes'] / 2**30:.1f} GiB" if d["memory_bytes"] else ""
        print(f"  {d['id']:>3}  {d['platform']:<5} {d['kind']:<12} process {d['process_index']}"
              f"{memory}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "devices": cmd_devices,
}
