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
    from jaxviz.cli import MAX_HOST_DEVICES, ranged

    pmap = sub.add_parser("pmap", help="run the function under pmap across local devices")
    add_source_args(pmap, pipeline=False)
    pmap.add_argument("--axis-name", default="i", help="the pmap axis name collectives use "
                                                       "(default i)")
    pmap.add_argument("--mode", choices=("split", "replicate", "as-is"), default="as-is",
                      help="as-is: the arguments already carry the device axis (default); "
                           "split their leading axis across devices; or replicate them")
    pmap.add_argument("--devices", type=ranged(int, 1, MAX_HOST_DEVICES, "a device count"),
                      help="how many devices to split or replicate onto")
    pmap.add_argument("--json", action="store_true")
    bench = sub.add_parser("bench", help="time the function eagerly and under jit")
    add_source_args(bench, pipeline=False)
    bench.add_argument("--repeats", type=ranged(int, 1, 10_000, "a number of runs"), default=7)
    bench.add_argument("--json", action="store_true")
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
    export.add_argument("--dpi", type=ranged(float, 0, 2400, "a resolution"), default=144.0,
                        help="PNG resolution (default 144)")
    export.add_argument("--no-edge-labels", action="store_true", help="hide shapes on edges")
    export.add_argument("--color-by", choices=("kind", "fusion", "flops", "transcendentals",
                                               "bytes", "memory", "residuals"),
                        default="kind", help="colour the nodes by an overlay (fusion and "
                        "costs compile the pipeline: '| compile' is added; default: kind)")
    export.add_argument("--force", action="store_true", help="replace OUT even when it is not "
                        "an earlier jaxviz export (never a device or other non-regular file)")
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


def cmd_export(args: argparse.Namespace) -> int:
    """Trace, lay out and write in the worker: rendering is under --timeout too, and the IR
    never travels back to this process."""
    from jaxviz.cli import CliError, call_worker, partial_error, trace_request
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.export import ExportError, check_export_target, format_for
    from jaxviz.core.layout import LayoutOptions

    out = Path(args.output)
    if args.color_by in ("fusion", "flops", "transcendentals", "bytes"):
        from jaxviz.cli_below import with_below
        args.pipeline = with_below(args.pipeline or "", "compile")
    options = LayoutOptions(rankdir=args.rankdir, edge_labels=not args.no_edge_labels)
    request = trace_request(args, layout=options.to_dict())
    try:
        fmt = format_for(out, args.format)
        if not (out.parent if str(out.parent) else Path(".")).is_dir():
            raise ExportError(f"cannot write {out}: the folder {out.parent} does not exist")
        if args.stage != "all":  # numbered files are checked as they are written
            check_export_target(out, fmt, [Path(request.filename)], args.force)
    except ExportError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None
    request.expand_all = args.expand_all
    request.export = {"stage": args.stage, "path": str(out.resolve()), "format": fmt,
                      "dpi": args.dpi, "edge_labels": not args.no_edge_labels,
                      "force": args.force, "inputs": [request.filename],
                      "color_by": args.color_by, "expand_all": args.expand_all}
    result = call_worker(args, request)
    partial_error(result)
    for path, title in result.written:
        print(f"wrote {path}  ({title})")
    return 0


def _diff_pairs(args: argparse.Namespace, count: int) -> list[tuple[int, int]]:
    from jaxviz.cli import CliError
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
    from jaxviz.cli import CliError, call_worker, partial_error, trace_request
    from jaxviz.core.diff import diff_stages
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.ir import stage_from_dict

    request = trace_request(args, layout={} if args.html else None)
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
            print(f"== {d.before} → {d.after}   unchanged {c['unchanged']} · changed "
                  f"{c['changed']} · added {c['added']} · removed {c['removed']}"
                  + (f" · wrapped in {len(d.wrappers)}" if d.wrappers else ""))
            print(f"   {d.summary}")
    return 0


def _check_html_target(args: argparse.Namespace, source_file: str) -> None:
    from jaxviz.cli import CliError
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.files import FileError, check_target
    from jaxviz.core.provenance import is_previous_export

    try:
        check_target(Path(args.html), lambda p: is_previous_export(p, "html"),
                     [Path(source_file)], args.force)
    except FileError as exc:
        raise CliError(ErrorInfo(kind="input", message=str(exc))) from None


def _write_diff_html(path: str, diffs: list, pairs: list[tuple[int, int]], result) -> None:
    """One page with every step asked for, one section each, in pipeline order."""
    from jaxviz.cli import CliError
    from jaxviz.core.diff_view import decorate, diff_html, joined_pages
    from jaxviz.core.errors import ErrorInfo
    from jaxviz.core.export import ExportError, export_bytes
    from jaxviz.core.files import write_atomic
    from jaxviz.core.layout import Layout

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


def _source_request(cls, args: argparse.Namespace, **extra):
    from jaxviz.cli import source_fields

    return cls(**source_fields(args), **extra)


def cmd_pmap(args: argparse.Namespace) -> int:
    from jaxviz.cli import call_worker

    request = _source_request(p.PmapRequest, args, mode=args.mode, axis_name=args.axis_name,
                              devices=args.devices)
    result = call_worker(args, request)
    if args.json:
        print(json.dumps({"devices": result.devices, "outputs": result.outputs,
                          "wall_time": result.wall_time, "compile_time": result.compile_time},
                         indent=1))
        return 0
    print(f"pmap across {result.devices} devices: {result.wall_time * 1000:.2f} ms per call "
          f"(compile and first run: {result.compile_time * 1000:.0f} ms more)")
    for device in result.outputs:
        for out in device["outputs"]:
            preview = out["preview"].replace("\n", "\n" + " " * 8)
            print(f"  [{device['index']}] {device['device']}  {out['path']}: "
                  f"{out['dtype']}{out['shape']}\n        {preview}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from jaxviz.cli import call_worker
    from jaxviz.worker.bench_stats import spread

    result = call_worker(args, _source_request(p.BenchRequest, args, repeats=args.repeats))
    eager, jit = spread(result.eager), spread(result.jit)
    if args.json:
        print(json.dumps({"eager": eager, "jit": jit, "compile_time": result.compile_time,
                          "speedup": eager["median"] / jit["median"], "repeats": args.repeats},
                         indent=1))
        return 0
    for name, s in (("eager", eager), ("jit", jit)):
        print(f"{name:>5}: median {s['median'] * 1e3:9.3f} ms  (min {s['min'] * 1e3:.3f}, "
              f"max {s['max'] * 1e3:.3f}; {args.repeats} runs, warm-up excluded)")
    print(f"compile: {result.compile_time * 1e3:.1f} ms (apart)   jit speed-up: "
          f"{eager['median'] / jit['median']:.2f}×")
    return 0


def cmd_retrace(args: argparse.Namespace) -> int:
    from jaxviz.cli import call_worker, source_fields

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
        print(f"call {c['call'] + 1}  ({c['args']}): {verdict}, {c['seconds'] * 1e3:.1f} ms")
        print(f"   {c['reason']}")
        for line in c["jax"].splitlines():
            print(f"   | {line}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "devices": cmd_devices,
    "export": cmd_export,
    "diff": cmd_diff,
    "pmap": cmd_pmap,
    "bench": cmd_bench,
    "retrace": cmd_retrace,
}
