"""``jaxviz values``: run a stage on values, equation by equation, and say where the first NaN
or Inf (and the first value past a threshold) came from."""

from __future__ import annotations

import argparse
import json

from jaxviz.cli.common import add_source_args, ranged, safe
from jaxviz.core.value_stats import compared_lines
from jaxviz.worker import protocol as p


def add_parser(sub) -> None:
    values = sub.add_parser("values", help="evaluate a stage on values: statistics of every "
                            "equation's results, and the first NaN or Inf, forward or backward")
    add_source_args(values)
    values.add_argument("--stage", type=ranged(int, -1, 999, "a stage number"), default=-1,
                        help="the pipeline's stage to evaluate (default -1: the last)")
    values.add_argument("--threshold", type=ranged(float, 0, 1e308, "a magnitude"),
                        default=1e30, help="also find the first value past this magnitude "
                                           "(default 1e30)")
    values.add_argument("--stop-at-nonfinite", action="store_true",
                        help="stop at the first NaN or Inf")
    values.add_argument("--against", type=_stage_or_xla, metavar="K|xla",
                        help="also evaluate stage K on the same values and compare the "
                             "outputs and each equation the diff pairs; xla: run the stage "
                             "as one XLA program (jax.jit) and compare its outputs")
    values.add_argument("--json", action="store_true",
                        help="everything as JSON: statistics per equation (by node id, with "
                             "each equation's name), outputs, first problems")


def _stage_or_xla(text: str) -> int | str:
    if text.strip().lower() == "xla":
        return "xla"
    return ranged(int, -1, 999, "a stage number or xla")(text)


def cmd_values(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import call_worker, source_fields

    fields = source_fields(args)
    request = p.ValuesRequest(**fields, pipeline=args.pipeline, stage=args.stage,
                              threshold=args.threshold,
                              stop_at_nonfinite=args.stop_at_nonfinite, against=args.against)
    result = call_worker(args, request).values
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(safe(report(result)))
    return 0


def report(values: dict) -> str:
    """The evaluation in a few lines: what ran, the outputs, the first problems."""
    lines = [f"{values['stage']}: {len(values['equations'])} equations evaluated in "
             f"{values['seconds'] * 1e3:.0f} ms"]
    if values["seeded"]:
        seeded = values["seeded"]
        more = f", and {len(seeded) - 4} more (--json lists them)" if len(seeded) > 4 else ""
        lines.append("  random values (seed 0) for the abstract arguments: "
                     + ", ".join(seeded[:4]) + more)
    for i, s in enumerate(values["outputs"]):
        lines.append(f"  output {i}: {stats_line(s)}")
    found = values["first_nonfinite"]
    lines.append(f"first NaN/Inf: {found['words']}  [{found['node']}]" if found
                 else "first NaN/Inf: none")
    huge = values["first_huge"]
    if huge:
        lines.append(f"first value past {values['threshold']:g}: {huge['words']}  "
                     f"[{huge['node']}]")
    zero = values.get("first_all_zero")
    if zero:
        lines.append(f"first all-zero gradient: {zero['words']}  [{zero['node']}]")
    if values["all_zero_outputs"]:
        lines.append("all zeros (a gradient that vanished?): "
                     + ", ".join(f"output {i}" for i in values["all_zero_outputs"]))
    if values["stopped"]:
        lines.append("stopped there, as asked (--stop-at-nonfinite)")
    if "compared" in values:
        lines += compared_lines(values["compared"])
    return "\n".join(lines)


def stats_line(s: dict) -> str:
    """``f32[4] min -1 max 2 mean 0.5 std 1.1, 1 NaN``; small arrays with their values."""
    text = f"{s['dtype']}{s['shape']}"
    if "min" in s:
        text += f" min {s['min']:.4g} max {s['max']:.4g} mean {s['mean']:.4g} " \
                f"std {s['std']:.4g}"
    bad = [f"{s[k]} {w}" for k, w in (("nan", "NaN"), ("posinf", "+inf"), ("neginf", "-inf"))
           if s.get(k)]
    if bad:
        text += ", " + ", ".join(bad)
    if "values" in s:
        text += f"  = {s['values']}"
    return text


COMMANDS = {"values": cmd_values}
