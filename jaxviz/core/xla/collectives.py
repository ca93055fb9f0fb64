"""The collectives of a partitioned HLO module, each with its bytes, mesh axes and equation.

XLA's SPMD partitioner inserts all-gathers, reduce-scatters, all-reduces, all-to-alls and
collective-permutes; ``shard_map`` bodies have them written by the user. Each is attributed:

- ``tag``: it carries our ``jaxviz_eqn`` tag (the partitioner copies the tag of the
  instruction it partitions onto the collectives it makes for it);
- ``operand``: no tag, but the value it reshards comes from (or goes to) a tagged instruction;
- ``explained``: neither; ``reason`` says what it moves (a parameter, a constant).

An async pair (``all-gather-start`` / ``all-gather-done``) counts once: the start holds the
groups, the done the result. Bytes are per device: the result's size on one partition.
"""

from __future__ import annotations

import re

from .hlo_sharding import group_axes, groups_of
from .hlo_text import HloModule, Instruction, type_parts
from .mesh import MeshAxes

KINDS = ("all-gather", "reduce-scatter", "all-reduce", "all-to-all", "collective-permute")
BYTES = {
    "pred": 1,
    "s8": 1,
    "u8": 1,
    "f8e4m3fn": 1,
    "f8e5m2": 1,
    "s16": 2,
    "u16": 2,
    "f16": 2,
    "bf16": 2,
    "s32": 4,
    "u32": 4,
    "f32": 4,
    "s64": 8,
    "u64": 8,
    "f64": 8,
    "c64": 8,
    "c128": 16,
}
_ARRAY = re.compile(r"([a-z]+[0-9]*[a-z0-9]*)\[([\d,]*)\]")
WALK_LIMIT = 12  # instructions followed from a collective to find a tagged neighbour


def kind_of(opcode: str) -> str | None:
    """The collective kind of an opcode (``all-gather-start`` → all-gather); None for the
    ``-done`` half and for anything else."""
    base = opcode.removesuffix("-start")
    return base if base in KINDS and not opcode.endswith("-done") else None


def type_bytes(type_text: str) -> int:
    """Bytes of an array type, or the sum over a tuple's arrays."""
    total = 0
    for dtype, dims in _ARRAY.findall(type_text):
        count = 1
        for d in dims.split(","):
            count *= int(d) if d.strip() else 1
        total += count * BYTES.get(dtype, 4)
    return total


def collectives(module: HloModule, mesh: MeshAxes, partitions: int) -> list[dict]:
    """Every collective of every computation, in program order, as plain data."""
    found = []
    for comp in module.computations.values():
        by_name = {i.name: i for i in comp.instructions}
        users = _users(comp.instructions)
        for ins in comp.instructions:
            kind = kind_of(ins.opcode)
            if kind:
                found.append(_collective(ins, kind, by_name, users, mesh, partitions))
    return found


def _users(instructions: list[Instruction]) -> dict[str, list[Instruction]]:
    users: dict[str, list[Instruction]] = {}
    for ins in instructions:
        for operand in ins.operands:
            users.setdefault(operand, []).append(ins)
    return users


def _collective(
    ins: Instruction, kind: str, by_name: dict, users: dict, mesh: MeshAxes, partitions: int
) -> dict:
    done = next((u for u in users.get(ins.name, []) if u.opcode.endswith("-done")), None)
    result = done or ins
    groups_text = ins.attributes.get(
        "replica_groups", ins.attributes.get("source_target_pairs", "{}")
    )
    if "device_ids" in ins.attributes:  # mesh[...], device_ids=(...) {axes}: split at the comma
        groups_text += ", device_ids=" + ins.attributes["device_ids"]
    groups = groups_of(groups_text, partitions)
    shape, dtype = type_parts(result.type)
    entry = {
        "kind": kind,
        "name": ins.name,
        "opcode": ins.opcode,
        "type": result.type,
        "bytes": type_bytes(result.type),
        "axes": list(group_axes(groups, mesh)),
        "groups": len(groups),
        "group_size": max((len(g) for g in groups), default=0),
        "line": ins.line,
        "op_name": ins.op_name,
        "shape": shape,
        "dtype": dtype,
    }
    entry.update(_attribution(ins, by_name, users))
    return entry


def _attribution(ins: Instruction, by_name: dict, users: dict) -> dict:
    if ins.tag:  # XLA's combiner joins the tags of the collectives it merges with commas
        tags = ins.tag.split(",")
        reason = f"{len(tags)} collectives combined into one" if len(tags) > 1 else ""
        return {"equations": tags, "via": "tag", "reason": reason}
    near = _nearest_tag(ins, by_name, users)
    if near:
        return {"equations": near[0].split(","), "via": "operand", "reason": near[1]}
    return {"equations": [], "via": "explained", "reason": _untagged_reason(ins, by_name)}


def _nearest_tag(ins: Instruction, by_name: dict, users: dict) -> tuple[str, str] | None:
    """The tag of the nearest tagged producer of its operand, else of its nearest tagged
    consumer: the equation whose value the collective reshards."""
    for direction, step in (
        ("produces", lambda i: [by_name[o] for o in i.operands if o in by_name]),
        ("reads", lambda i: users.get(i.name, [])),
    ):
        seen, frontier = set(), step(ins)
        while frontier and len(seen) < WALK_LIMIT:
            current = frontier.pop(0)
            if current.name in seen:
                continue
            seen.add(current.name)
            if current.tag:
                return current.tag, f"reshards the value that {current.name} {direction}"
            frontier += step(current)
    return None


def _untagged_reason(ins: Instruction, by_name: dict) -> str:
    sources = [by_name[o] for o in ins.operands if o in by_name]
    if any(s.opcode == "parameter" for s in sources):
        names = ", ".join(s.op_name or s.name for s in sources if s.opcode == "parameter")
        return f"inserted by the partitioner to reshard the argument {names}"
    if ins.op_name:
        return f"inserted by XLA for {ins.op_name} (no equation tag survived)"
    return "inserted by the partitioner; no equation tag or op_name on it or its neighbours"


def by_kind(found: list[dict]) -> dict[str, dict]:
    """Count and bytes per kind of collective, every kind listed."""
    summary = {k: {"count": 0, "bytes": 0} for k in KINDS}
    for c in found:
        summary[c["kind"]]["count"] += 1
        summary[c["kind"]]["bytes"] += c["bytes"]
    return summary
