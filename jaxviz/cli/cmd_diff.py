"""``jaxviz diff``: what each transformation did, as text, JSON or one HTML page."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from jaxviz.cli.common import add_source_args, safe


def add_parser(sub) -> None:
    diff = sub.add_parser("diff", help="what each transformation did: a structural diff")
    add_source_args(diff)
    diff.add_argument("--from", dest="from_", type=int, metavar="I",
                      help="earlier stage (default: each stage and the next)")
    diff.add_argument("--to", type=int, metavar="J", help="later stage (default: I + 1)")
    out = diff.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="counts per class and the pairing")
    out.add_argument("--html", metavar="OUT", help="a self-contained page: graphs and text diff")
    diff.add_argument("--force", action="store_true", help="replace OUT even when it is not an "
                      "earlier jaxviz export")


def _diff_pairs(args: argparse.Namespace, count: int) -> list[tuple[int, int]]:
    from jaxviz.cli.common import CliError
    from jaxviz.core.errors import ErrorInfo

    if args.from_ is None and args.to is None:
        return [(i, i + 1) for i in range(count - 1)]
    start = args.from_ if args.from_ is not None else args.to - 1
    end = args.to if args.to is not None else start + 1
    if not (0 <= start < count and 0 <= end < count) or start == end:
        raise CliError(ErrorInfo(kind="input", message=f"--from {start} --to {end}: the "
                                 f"pipeline has stages 0 to {count - 1}"))
    return [(start, end)]


def cmd_diff(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import CliError, call_worker, partial_error, trace_request
    from jaxviz.core.diff.stages import diff_stages
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.ir.graph import stage_from_dict
    from jaxviz.core.layout.geometry import LayoutOptions

    request = trace_request(args, layout=LayoutOptions() if args.html else None)
    if args.html:
        _check_html_target(args, request.filename)
    request.expand_all = True
    result = call_worker(args, request)
    partial_error(result)
    stages = [stage_from_dict(s) for s in result.stages]
    if len(stages) < 2:
        raise CliError(ErrorInfo(kind="input", message="a diff needs a pipeline with at least "
                                 "one transform, e.g. -p grad"))
    pairs = _diff_pairs(args, len(stages))
    diffs = [diff_stages(stages[i], stages[j]) for i, j in pairs]
    if args.json:
        steps = [dict(d.to_dict(), **{"from": i, "to": j}) for (i, j), d in zip(pairs, diffs)]
        print(json.dumps(steps[0] if len(steps) == 1 else {"steps": steps}, indent=1))
    elif args.html:
        _write_diff_html(args.html, diffs, pairs, result)
    else:
        for d in diffs:
            c = d.counts
            print(safe(f"== {d.before} → {d.after}   unchanged {c['unchanged']} · changed "
                       f"{c['changed']} · added {c['added']} · removed {c['removed']}"
                       + (f" · wrapped in {len(d.wrappers)}" if d.wrappers else ""),
                       lines=False))
            print(safe(f"   {d.summary}"))
    return 0


def _check_html_target(args: argparse.Namespace, source_file: str) -> None:
    from jaxviz.cli.common import CliError
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.export.files import FileError, check_target
    from jaxviz.core.ir.provenance import is_previous_export

    try:
        check_target(Path(args.html), lambda p: is_previous_export(p, "html"),
                     [Path(source_file)], args.force)
    except FileError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None


def _write_diff_html(path: str, diffs: list, pairs: list[tuple[int, int]], result) -> None:
    """One page with every step asked for, one section each, in pipeline order."""
    from jaxviz.cli.common import CliError
    from jaxviz.core.diff.view import decorate, diff_html, joined_pages
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.export.files import write_atomic
    from jaxviz.core.export.images import ExportError, export_bytes
    from jaxviz.core.layout.engine import Layout

    pages = []
    for diff, (i, j) in zip(diffs, pairs):
        svgs = []
        for index, classes in ((i, diff.classes_before()), (j, diff.classes_after())):
            layout = decorate(Layout.from_dict(result.layouts[index]), classes)
            svgs.append(export_bytes(layout, result.stages[index], "svg", legend=False))
        pages.append(diff_html(diff, svgs[0], svgs[1], result.stages[i]["jaxpr"],
                               result.stages[j]["jaxpr"]))
    try:
        write_atomic(Path(path), joined_pages(pages).encode())
    except ExportError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None
    steps = ", ".join(f"{d.before} → {d.after}" for d in diffs)
    print(f"wrote {path}  ({steps})")


COMMANDS = {"diff": cmd_diff}
