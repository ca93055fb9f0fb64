"""``jaxviz trace``: each stage's jaxpr, as text or the graph IR in JSON."""

from __future__ import annotations

import argparse
import json

from jaxviz.cli.common import add_source_args, safe


def add_parser(sub) -> None:
    trace = sub.add_parser("trace", help="print each stage's jaxpr")
    add_source_args(trace)
    trace.add_argument("--json", action="store_true", help="stages with their graph IR as JSON")


def cmd_trace(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import call_worker, count_text, partial_error, trace_request

    request = trace_request(args)
    request.text_only = not args.json  # the text needs no graph IR: it is not built
    result = call_worker(args, request)
    if args.json:
        keys = ("title", "jaxpr", "equations", "printed_equations", "notes", "graph")
        stages = [{k: s[k] for k in keys} for s in result.stages]
        print(json.dumps({"stages": stages}, indent=1))
    else:
        for stage in result.stages:
            print(f"== {safe(stage['title'], lines=False)}  ({count_text(stage)})")
            print(safe(stage["jaxpr"]))
            for n in stage.get("notes", []):
                where = f"line {n['line']}: " if n.get("line") else ""
                hint = f"  (fix: {n['hint']})" if n.get("hint") else ""
                print(safe(f"note: {where}{n['message']}{hint}"))
            print()
    partial_error(result)
    return 0


COMMANDS = {"trace": cmd_trace}
