"""The CLI's commands below the jaxpr: ``fusions``, ``cost``, ``memory``, ``residuals``.

Each traces the pipeline with ``compile`` added at its end (``lower`` for residuals, which
need no compiled program) when the pipeline does not end so already, then prints the report
of ``core/xla/below.py`` as text or ``--json``. Like the rest of the CLI, never imports jax.
"""

from __future__ import annotations

import argparse
import json

from jaxviz.cli.common import add_source_args, with_below

HELP = {
    "fusions": "map each jaxpr equation to the XLA fusion it ended in",
    "cost": "FLOPs, transcendentals and bytes per equation, against XLA's cost_analysis",
    "memory": "live bytes over the program, against XLA's memory_analysis",
    "residuals": "the values a grad's forward pass saves for its backward pass",
}


def add_parser(sub) -> None:
    for name, text in HELP.items():
        parser = sub.add_parser(name, help=text, description=f"{text}. The pipeline gets "
                                f"'| {'lower' if name == 'residuals' else 'compile'}' at its "
                                f"end unless it ends in lower/compile already.")
        add_source_args(parser)
        parser.add_argument("--json", action="store_true", help="the whole report as JSON")
        if name == "residuals":
            parser.add_argument("--stage", type=int, metavar="K",
                                help="the stage to list (default: the last one a grad made)")


def _stages(args: argparse.Namespace, step: str):
    from jaxviz.cli.common import call_worker, partial_error, trace_request
    from jaxviz.core.ir.graph import stage_from_dict

    args.pipeline = with_below(getattr(args, "pipeline", "") or "", step)
    result = call_worker(args, trace_request(args))
    partial_error(result)
    return [stage_from_dict(s) for s in result.stages]


def _print(report: dict, lines: list[str], as_json: bool) -> int:
    if as_json:
        print(json.dumps(report, indent=1))
    else:
        print("\n".join(lines))
    return 0


def cmd_fusions(args: argparse.Namespace) -> int:
    from jaxviz.core.xla import below

    stages = _stages(args, "compile")
    report = below.fusion_report(below.analysed_of(stages), below.compiled_of(stages))
    return _print(report, below.fusion_text(report), args.json)


def cmd_cost(args: argparse.Namespace) -> int:
    from jaxviz.core.xla import below

    stages = _stages(args, "compile")
    report = below.cost_report(below.analysed_of(stages), below.compiled_of(stages))
    return _print(report, below.cost_text(report), args.json)


def cmd_memory(args: argparse.Namespace) -> int:
    from jaxviz.core.xla import below

    stages = _stages(args, "compile")
    report = below.memory_report(below.analysed_of(stages), below.compiled_of(stages))
    return _print(report, below.memory_text(report), args.json)


def cmd_residuals(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import CliError
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.xla import below

    stages = [s for s in _stages(args, "lower") if s.is_jaxpr]
    if args.stage is not None:
        if not 0 <= args.stage < len(stages):
            raise CliError(ErrorInfo(kind="input", message=f"--stage {args.stage}: the jaxpr "
                                     f"stages are 0 to {len(stages) - 1}"))
        stage = stages[args.stage]
    else:
        graded = [s for s in stages if "residuals" in s.reference]
        if not graded:
            raise CliError(ErrorInfo(kind="input", message="no stage of the pipeline is made "
                                     "by grad or value_and_grad", hint="e.g. -p 'grad' or "
                                     "-p 'grad | jit'"))
        stage = graded[-1]
    report = below.residual_report(stage)
    return _print(report, below.residual_text(report), args.json)


COMMANDS = {"fusions": cmd_fusions, "cost": cmd_cost, "memory": cmd_memory,
            "residuals": cmd_residuals}
