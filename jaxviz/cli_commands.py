"""The CLI's subcommands beyond ``trace``: each parses its options and calls the worker/core.

Kept apart from ``jaxviz.cli`` so each module stays short; like it, never imports jax.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from jaxviz.worker import protocol as p


def add_more_commands(sub, add_source_args: Callable, add_worker_args: Callable) -> None:
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
    export.add_argument("--rankdir", choices=("TB", "LR"), default="TB")
    export.add_argument("--dpi", type=float, default=144.0, help="PNG resolution (default 144)")
    export.add_argument("--no-edge-labels", action="store_true", help="hide shapes on edges")
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


def _chosen_stages(spec: str, count: int) -> list[int]:
    from jaxviz.cli import CliError
    from jaxviz.core.errors import ErrorInfo

    if spec == "all":
        return list(range(count))
    if spec == "last":
        return [count - 1]
    try:
        index = int(spec)
    except ValueError:
        index = None
    if index is None or not -count <= index < count:
        raise CliError(ErrorInfo(kind="input", message=f"--stage {spec!r}: give an index from 0 "
                                 f"to {count - 1}, 'last' or 'all'"))
    return [index % count]


def _numbered(path: Path, index: int) -> Path:
    return path.with_name(f"{path.stem}_{index}{path.suffix}")


def cmd_export(args: argparse.Namespace) -> int:
    from jaxviz.cli import CliError, call_worker, partial_error, trace_request
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.export import ExportError, export_file, format_for
    from jaxviz.core.layout import Layout, LayoutOptions

    out = Path(args.output)
    try:
        fmt = format_for(out, args.format)
        if not (out.parent if str(out.parent) else Path(".")).is_dir():
            raise ExportError(f"cannot write {out}: the folder {out.parent} does not exist")
    except ExportError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None
    options = LayoutOptions(rankdir=args.rankdir, edge_labels=not args.no_edge_labels)
    request = trace_request(args, layout=options.to_dict())
    request.expand_all = args.expand_all
    result = call_worker(args, request)
    partial_error(result)
    chosen = _chosen_stages(args.stage, len(result.stages))
    for index in chosen:
        path = _numbered(out, index) if args.stage == "all" else out
        try:
            export_file(Layout.from_dict(result.layouts[index]), result.stages[index], path, fmt,
                        args.dpi, not args.no_edge_labels)
        except ExportError as exc:
            raise CliError(ErrorInfo(kind="input", message=str(exc))) from None
        print(f"wrote {path}  ({result.stages[index]['title']})")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "devices": cmd_devices,
    "export": cmd_export,
}
