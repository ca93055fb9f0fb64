"""``jaxviz trace``: each stage's jaxpr, as text or the graph IR in JSON."""

from __future__ import annotations

import argparse
import json

from jaxviz.cli.common import add_source_args, safe


def add_parser(sub) -> None:
    trace = sub.add_parser("trace", help="print each stage's jaxpr")
    add_source_args(trace)
    trace.add_argument("--json", action="store_true", help="stages with their graph IR as JSON")
    trace.add_argument("--batch-axes", action="store_true",
                       help="under each vmap stage, the batch axis of every variable (found "
                            "against the stage before); with --json, as 'batch_axes'")


def cmd_trace(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import call_worker, count_text, partial_error, trace_request

    request = trace_request(args)
    # the text needs no graph IR: it is not built (batch axes compare graphs)
    request.text_only = not (args.json or args.batch_axes)
    result = call_worker(args, request)
    axes = _batch_axes(result.stages) if args.batch_axes else {}
    if args.json:
        keys = ("title", "jaxpr", "equations", "printed_equations", "notes", "graph")
        stages = [{k: s[k] for k in keys} for s in result.stages]
        for index, found in axes.items():
            stages[index]["batch_axes"] = found.to_dict()
        print(json.dumps({"stages": stages}, indent=1))
    else:
        for stage_index, stage in enumerate(result.stages):
            print(f"== {safe(stage['title'], lines=False)}  ({count_text(stage)})")
            print(safe(stage["jaxpr"]))
            for n in stage.get("notes", []):
                where = f"line {n['line']}: " if n.get("line") else ""
                hint = f"  (fix: {n['hint']})" if n.get("hint") else ""
                print(safe(f"note: {where}{n['message']}{hint}"))
            if stage_index in axes:
                from jaxviz.core.diff.batch_axes import listing

                print("\n".join(safe(line) for line in listing(axes[stage_index])))
            print()
    partial_error(result)
    return 0


def _batch_axes(stage_dicts: list[dict]) -> dict:
    """Stage index → the batch axes of each stage a vmap made (a jit of one too)."""
    from jaxviz.core.diff.batch_axes import stage_batch_axes
    from jaxviz.core.ir.graph import stage_from_dict

    stages = [stage_from_dict(d) for d in stage_dicts]
    found = {k: stage_batch_axes(stages, k) for k in range(len(stages))}
    return {k: axes for k, axes in found.items() if axes is not None}


COMMANDS = {"trace": cmd_trace}
