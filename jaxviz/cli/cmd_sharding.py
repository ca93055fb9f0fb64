"""``jaxviz sharding``: compile a stage over a device mesh and say what XLA's SPMD partitioner
did: the collectives it inserted (kind, bytes per device, mesh axes, the equation and line
each serves), the sharding of every edge, and the costs per device beside the global ones;
``--what-if`` diffs it against another sharding or mesh."""

from __future__ import annotations

import argparse
import json

from jaxviz.cli.common import add_source_args, safe
from jaxviz.core.xla.mesh import MeshAxes, axes_text
from jaxviz.worker import protocol as p

TOP_EDGES = 40  # edge rows printed (all of them with --all-edges or --json)


def add_parser(sub) -> None:
    cmd = sub.add_parser(
        "sharding",
        help="compile over a device mesh: the collectives XLA "
        "inserted (and which line each serves), every edge's sharding, "
        "costs per device",
    )
    add_source_args(cmd)
    cmd.add_argument(
        "--mesh",
        default="",
        metavar="AXES",
        help="the mesh, e.g. 'data=4,model=2' (default: the mesh the program's "
        "own shard_map or sharding constraints use)",
    )
    cmd.add_argument(
        "--in-shardings",
        default="",
        metavar="SPECS",
        help="PartitionSpecs of the arguments, e.g. \"P('data', None), P()\" "
        "(set on the pipeline's last jit)",
    )
    cmd.add_argument(
        "--what-if",
        default="",
        metavar="CHANGES",
        help='a second partitioning to diff against, e.g. "in_shardings='
        "(P(), P('data')), mesh='data=8'\"",
    )
    cmd.add_argument("--all-edges", action="store_true", help="print every edge's sharding")
    cmd.add_argument("--json", action="store_true", help="everything as JSON")


def cmd_sharding(args: argparse.Namespace) -> int:
    from jaxviz.cli.common import call_worker, source_fields

    request = p.ShardingRequest(
        **source_fields(args),
        pipeline=args.pipeline,
        mesh=args.mesh,
        in_shardings=args.in_shardings,
        what_if=args.what_if,
    )
    result = call_worker(args, request).sharding
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(safe(report_text(result, args.all_edges)))
    if "what_if" in result:
        print(safe(what_if_text(result["what_if"])))
    return 0


NOT_PARTITIONED = (
    "not partitioned: nothing in the program or the command asks for a sharding. Fix: give "
    "--in-shardings \"P('data')\" with --mesh 'data=N' and --host-devices N, or call "
    "jax.shard_map or with_sharding_constraint in the function"
)


ONE_DEVICE = (
    "not partitioned: the mesh has 1 device. Fix: simulate more with --host-devices 8 (or "
    "run on a machine with several)"
)


def report_text(r: dict, all_edges: bool = False) -> str:
    mesh = MeshAxes(r["mesh"]["names"], r["mesh"]["sizes"]).text()
    parts = r["partitions"]
    lines = [
        f"{r['stage']} over the mesh {mesh} ({parts} partition{'' if parts == 1 else 's'})"
        + (f"  [pipeline: {r['pipeline']}]" if r.get("pipeline") else "")
    ]
    if parts == 1:
        devices = 1
        for size in r["mesh"]["sizes"]:
            devices *= size
        return "\n".join([*lines, ONE_DEVICE if devices == 1 else NOT_PARTITIONED])
    lines += collective_lines(r["collectives"])
    lines += cost_lines(r["costs"])
    lines += edge_lines(r["edges"], all_edges, r.get("edges_read", True))
    return "\n".join(lines)


def collective_lines(found: list[dict]) -> list[str]:
    if not found:
        return ["collectives: none (every device works on its own share)"]
    lines = [
        f"collectives: {len(found)}, {sum(c['bytes'] for c in found):,} bytes per "
        "device in all (each counted once; one inside a loop runs every iteration)"
    ]
    for c in found:
        where = (
            ", ".join(
                f"{n} (line {ln})" if ln else n
                for n, ln in zip(c["equation_names"], c["source_lines"])
            )
            or "-"
        )
        axes = "×".join(c["axes"]) or "all"
        how = {"tag": "", "operand": f"  [{c['reason']}]", "explained": f"  [{c['reason']}]"}[
            c["via"]
        ]
        lines.append(
            f"  {c['kind']:<18} {c['type']:<24} {c['bytes']:>10,} B  over {axes:<12}"
            f" {where}{how}".rstrip()
        )
    return lines


def cost_lines(costs: dict) -> list[str]:
    n = costs["devices"]

    def row(label: str, key: str) -> str:
        per, whole = costs[key]["per_device"], costs[key]["global"]
        if per is None:
            return f"  {label:<7} per device n/a  |  global {whole:,.0f} (jaxpr)"
        return (
            f"  {label:<7} per device {per:,.0f} (XLA; × {n} devices = {per * n:,.0f})"
            f"  |  global {whole:,.0f} (jaxpr)"
        )

    return [
        "costs (per device: XLA's cost and memory analysis of the partitioned module, "
        "one device's share; global: the whole program, counted from the jaxpr):",
        row("FLOPs", "flops"),
        row("bytes", "bytes"),
        row("memory", "memory") + "  [per device: arguments + outputs + temporaries "
        "- aliased; global: inputs and outputs]",
    ] + ([f"  note: {costs['note']}"] if costs.get("note") else [])


def edge_lines(edges: list[dict], all_edges: bool, read: bool) -> list[str]:
    if not read:
        return ["edge shardings: not read (XLA did not dump the module before partitioning)"]
    shown = (
        edges
        if all_edges
        else [e for e in edges if e["kind"] != "absent" or e["asked"]][:TOP_EDGES]
    )
    cut = (
        "" if len(shown) == len(edges) else f" ({len(shown)} of {len(edges)}; --all-edges for all)"
    )
    lines = [f"edge shardings, mesh axes per dimension (– not split){cut}:"]
    for e in shown:
        asked = ""
        if e["asked"] is not None:
            want = axes_text([tuple(d) for d in e["asked"]])
            asked = f"  asked {want}" + ("" if e.get("kept") else " (XLA chose otherwise)")
        line = f"  line {e['line']}" if e.get("line") else ""
        lines.append(f"  {e['name']:<28} {e['text']:<34}{asked}{line}".rstrip())
    return lines


def what_if_text(w: dict) -> str:
    d, other = w["diff"], w["report"]
    lines = [f"\nwhat if {w['text']}:", report_text(other), "difference (given → what-if):"]
    for kind, row in d["by_kind"].items():
        before, after = row["before"], row["after"]
        if before != after:
            lines.append(
                f"  {kind:<18} {before['count']} ({before['bytes']:,} B) → "
                f"{after['count']} ({after['bytes']:,} B)"
            )
    for word, rows in (("appear", d["appear"]), ("disappear", d["disappear"])):
        for c in rows:
            names = ", ".join(c["equation_names"] or ["-"])
            lines.append(
                f"  {word:<9} {c['kind']} over {'×'.join(c['axes']) or 'all'} "
                f"{c['bytes']:,} B for {names}"
            )
    if not d["appear"] and not d["disappear"]:
        lines.append("  the same collectives (kind, mesh axes, equations) on both sides")
    before, after = d["bytes"]["before"], d["bytes"]["after"]
    lines.append(f"  collective bytes per device (their results): {before:,} → {after:,}")
    for key, label in (
        ("flops_per_device", "FLOPs per device"),
        ("memory_per_device", "peak memory per device"),
    ):
        lines.append(f"  {label}: {_num(d[key]['before'])} → {_num(d[key]['after'])}")
    return "\n".join(lines)


def _num(x) -> str:
    return f"{x:,.0f}" if isinstance(x, (int, float)) else "n/a"


COMMANDS = {"sharding": cmd_sharding}
