"""``jaxviz export``: stage graphs as PNG, SVG, PDF, DOT or JSON, laid out and rendered in
the worker (under --timeout), never over a file of the user's."""

from __future__ import annotations

import argparse
from pathlib import Path

from jaxviz.cli.common import OVERLAY_CHOICES, add_source_args, ranged
from jaxviz.worker import protocol as p


def add_parser(sub) -> None:
    export = sub.add_parser("export", help="write stage graphs as PNG, SVG, PDF, DOT or JSON")
    add_source_args(export)
    export.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="the file to write; with --stage all, _<index> goes before the "
                             "suffix")
    export.add_argument("--stage", default="last", metavar="K|all",
                        help="stage index (0 is the function itself), 'last' (default) or 'all'")
    export.add_argument("--format", choices=("png", "svg", "pdf", "dot", "json"),
                        help="default: from OUT's suffix")
    export.add_argument("--expand-all", action="store_true", help="open every group")
    export.add_argument("--jax-nesting", action="store_true",
                        help="group by JAX's own nesting (jit, scan, cond, custom rules, named "
                             "scopes) instead of your functions, modules and library calls")
    export.add_argument("--depth", type=ranged(int, 0, 100, "a depth"), default=None,
                        metavar="N", help="open the groups down to depth N and close every "
                        "group below (0: the top level only; default: what fits a view)")
    export.add_argument("--rankdir", choices=("TB", "LR"), default="TB")
    export.add_argument("--dpi", type=ranged(float, 0, 2400, "a resolution"), default=None,
                        help="PNG resolution (default 144; less for a drawing whose PNG "
                             "would pass 8 megapixels, never under 72, the app's own size)")
    export.add_argument("--no-edge-labels", action="store_true", help="hide shapes on edges")
    export.add_argument("--color-by", choices=OVERLAY_CHOICES, default="kind",
                        help="colour the nodes by an overlay (fusion and costs compile the "
                             "pipeline: '| compile' is added; default: kind)")
    export.add_argument("--force", action="store_true", help="replace OUT even when it is not "
                        "an earlier jaxviz export (never a device or other non-regular file)")


def cmd_export(args: argparse.Namespace) -> int:
    """Trace, lay out and write in the worker: rendering is under --timeout too, and the IR
    never travels back to this process."""
    from jaxviz.cli.common import CliError, call_worker, partial_error, trace_request
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.export.images import ExportError, check_export_target, format_for
    from jaxviz.core.layout.engine import LayoutOptions

    out = Path(args.output)
    if args.color_by in ("fusion", "flops", "transcendentals", "bytes"):
        from jaxviz.cli.common import with_below
        args.pipeline = with_below(args.pipeline or "", "compile")
    options = LayoutOptions(rankdir=args.rankdir, edge_labels=not args.no_edge_labels)
    request = trace_request(args, layout=options)
    try:
        fmt = format_for(out, args.format)
        if not (out.parent if str(out.parent) else Path(".")).is_dir():
            raise ExportError(f"cannot write {out}: the folder {out.parent} does not exist")
        if args.stage != "all":  # numbered files are checked as they are written
            check_export_target(out, fmt, [Path(request.filename)], args.force)
    except ExportError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None
    request.expand_all, request.depth = args.expand_all, args.depth
    request.jax_nesting = args.jax_nesting
    # only the stage written is laid out (an overlay's may be the one before a compile stage)
    request.layout_last_only = args.stage == "last" and args.color_by == "kind"
    request.export = p.ExportSpec(path=str(out.resolve()), format=fmt, stage=args.stage,
                                  dpi=args.dpi, edge_labels=not args.no_edge_labels,
                                  force=args.force, inputs=[request.filename],
                                  color_by=args.color_by, expand_all=args.expand_all,
                                  depth=args.depth, jax_nesting=args.jax_nesting)
    result = call_worker(args, request)
    partial_error(result)
    for path, title in result.written:
        print(f"wrote {path}  ({title})")
    return 0


COMMANDS = {"export": cmd_export}
