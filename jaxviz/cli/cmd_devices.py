"""``jaxviz devices``, ``pmap`` and ``bench``: the local devices, the pipeline's function
run under pmap across them, and timed eagerly against jit."""

from __future__ import annotations

import argparse
import json

from jaxviz.cli.common import add_source_args, add_worker_args, ranged, safe
from jaxviz.worker import protocol as p


def add_parser(sub) -> None:
    from jaxviz.cli.common import MAX_HOST_DEVICES

    pmap = sub.add_parser("pmap", help="run the pipeline's function under pmap across local "
                                       "devices")
    add_source_args(pmap)
    pmap.add_argument("--axis-name", default="i", help="the pmap axis name collectives use "
                                                       "(default i)")
    pmap.add_argument("--mode", choices=("split", "replicate", "as-is"), default="split",
                      help="split (default): as the pipeline's pmap maps them, else each "
                           "argument's leading axis across the devices; replicate them; or "
                           "as-is: they already carry the device axis. A stage that is the "
                           "pipeline's pmap runs as it is")
    pmap.add_argument("--devices", type=ranged(int, 1, MAX_HOST_DEVICES, "a device count"),
                      help="how many devices to split or replicate onto")
    pmap.add_argument("--json", action="store_true")
    bench = sub.add_parser("bench", help="time the pipeline's function eagerly and under jit")
    add_source_args(bench)
    for command in (pmap, bench):
        command.add_argument("--stage", type=ranged(int, -1, 999, "a stage number"), default=-1,
                             help="the pipeline's stage whose function runs (0: the function "
                                  "itself; default -1: the last)")
    bench.add_argument("--repeats", type=ranged(int, 1, 10_000, "a number of runs"), default=7)
    bench.add_argument("--json", action="store_true")
    devices = sub.add_parser("devices", help="list the worker's local devices")
    add_worker_args(devices)
    devices.add_argument("--json", action="store_true")


def cmd_devices(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import call_worker

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


def _source_request(cls, args: argparse.Namespace, **extra):
    from jaxviz.cli.common import source_fields

    fields = source_fields(args)  # first: a file given alone fills in its pipeline
    return cls(**fields, pipeline=args.pipeline, **extra)


def cmd_pmap(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import call_worker

    request = _source_request(p.PmapRequest, args, mode=args.mode, axis_name=args.axis_name,
                              devices=args.devices, stage=args.stage)
    result = call_worker(args, request)
    if args.json:
        print(json.dumps({"function": result.function, "devices": result.devices,
                          "note": result.note, "outputs": result.outputs,
                          "wall_time": result.wall_time, "compile_time": result.compile_time},
                         indent=1))
        return 0
    print(f"{result.function or 'pmap'} across {result.devices} "
          f"device{'s' if result.devices != 1 else ''}: "
          f"{result.wall_time * 1000:.2f} ms per call "
          f"(compile and first run: {result.compile_time * 1000:.0f} ms more)")
    if result.note:
        print(safe(f"  ({result.note})"))
    for device in result.outputs:
        for out in device["outputs"]:
            preview = out["preview"].replace("\n", "\n" + " " * 8)
            print(safe(f"  [{device['index']}] {device['device']}  {out['path']}: "
                       f"{out['dtype']}{out['shape']}\n        {preview}"))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import call_worker
    from jaxviz.worker.bench_stats import spread

    result = call_worker(args, _source_request(p.BenchRequest, args, repeats=args.repeats,
                                               stage=args.stage))
    eager, jit = spread(result.eager), spread(result.jit)
    if args.json:
        print(json.dumps({"eager": eager, "jit": jit, "compile_time": result.compile_time,
                          "speedup": eager["median"] / jit["median"], "repeats": args.repeats},
                         indent=1))
        return 0
    if result.function:
        print(f"timed: {result.function}")
    for name, s in (("eager", eager), ("jit", jit)):
        print(f"{name:>5}: median {s['median'] * 1e3:9.3f} ms  (min {s['min'] * 1e3:.3f}, "
              f"max {s['max'] * 1e3:.3f}; {args.repeats} runs, warm-up excluded)")
    print(f"compile: {result.compile_time * 1e3:.1f} ms (apart)   jit speed-up: "
          f"{eager['median'] / jit['median']:.2f}×")
    return 0


COMMANDS = {"devices": cmd_devices, "pmap": cmd_pmap, "bench": cmd_bench}
