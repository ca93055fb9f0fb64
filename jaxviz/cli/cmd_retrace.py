"""``jaxviz retrace``: jit(f) called with each argument set; did it trace again, and why."""

from __future__ import annotations

import argparse
import json

from jaxviz.cli.common import add_worker_args, safe
from jaxviz.worker import protocol as p


def add_parser(sub) -> None:
    retrace = sub.add_parser("retrace", help="call jit(f) with each argument set: did it trace "
                             "again, and why")
    retrace.add_argument("file", help="a Python file, or pkg.module[:function]")
    retrace.add_argument("-f", "--function")
    retrace.add_argument("-a", "--args", action="append", required=True, metavar="ARGS",
                         help="one call's arguments; give -a once per call, in order")
    retrace.add_argument("--static-argnums", type=int, nargs="*", default=[], metavar="I")
    retrace.add_argument("--static-argnames", nargs="*", default=[], metavar="NAME")
    retrace.add_argument("--path", action="append", default=[], metavar="DIR")
    retrace.add_argument("--json", action="store_true")
    add_worker_args(retrace)


def cmd_retrace(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import call_worker, source_fields

    calls = args.args
    fields = source_fields(argparse.Namespace(**{**vars(args), "args": ""}))
    request = p.RetraceRequest(**{k: v for k, v in fields.items() if k != "args"},
                               calls=calls, static_argnums=args.static_argnums,
                               static_argnames=args.static_argnames)
    result = call_worker(args, request)
    if args.json:
        print(json.dumps({"calls": result.calls}, indent=1))
        return 0
    for c in result.calls:
        verdict = "traced and compiled" if c["traced"] else "cache hit"
        print(safe(f"call {c['call'] + 1}  ({c['args']}): {verdict}, "
                   f"{c['seconds'] * 1e3:.1f} ms", lines=False))
        print(safe(f"   {c['reason']}"))
        for line in c["jax"].splitlines():
            print(safe(f"   | {line}", lines=False))
    return 0


COMMANDS = {"retrace": cmd_retrace}
