"""What the SPMD partitioner did to one stage, as plain data: the sharding of every edge, the
collectives it inserted (``collectives.py``) and the costs per device beside the global ones.

Edge shardings are read from the module as XLA's sharding propagation left it, just before
the partitioner splits it (``before_spmd-partitioning``): there every instruction still has
its global shape and a ``sharding=`` attribute, and carries the tag of its equation. An
equation's result is the last instruction with its tag and its result's shape.
"""

from __future__ import annotations

from ..ir.graph import EQN, INPUT, OUTPUT, Graph, Node, Stage
from ..ir.labels import equation_name
from .below import costs as stage_costs
from .collectives import by_kind, collectives
from .cost import EquationCost, port_bytes, total
from .hlo_sharding import Tiling, dim_axes, parse_sharding
from .hlo_text import HloModule, Instruction, type_parts
from .mesh import MeshAxes, axes_text


def edge_shardings(before: HloModule, graph: Graph, mesh: MeshAxes) -> list[dict]:
    """The sharding XLA chose for every equation result, every input and every output."""
    tagged: dict[str, list[Instruction]] = {}
    for comp in before.computations.values():
        for ins in comp.instructions:
            for tag in ins.tag.split(",") if ins.tag else ():
                tagged.setdefault(tag, []).append(ins)
    params = {_parameter(i): i for i in before.entry.instructions if i.opcode == "parameter"}
    edges = {}
    for node in graph.walk_nodes():
        if node.kind == EQN:
            for k, port in enumerate(node.outputs):
                found = _result_of(tagged.get(node.id, []), port.shape)
                edges[(node.id, k)] = _edge(node, k, found, mesh)
        elif node.kind == INPUT and "/" not in node.id:
            edges[(node.id, 0)] = _edge(node, 0, params.get(int(node.id[2:])), mesh)
    edges.update(_output_edges(before, graph, mesh))
    _fill_from_neighbours(edges, graph)
    return list(edges.values())


def _parameter(ins: Instruction) -> int:
    text = ins.text.split("parameter(", 1)[-1].split(")", 1)[0]
    return int(text) if text.isdigit() else -1


def _result_of(candidates: list[Instruction], shape: list) -> Instruction | None:
    same = [i for i in candidates if type_parts(i.type)[0] == list(shape)]
    return same[-1] if same else None


def _tiling(ins: Instruction) -> Tiling:
    """Its sharding; none written after propagation means the partitioner replicates it."""
    if "sharding" not in ins.attributes:
        return Tiling("replicated")
    return parse_sharding(ins.attributes["sharding"])[0]


def _output_edges(before: HloModule, graph: Graph, mesh: MeshAxes) -> dict:
    """The outputs: the ROOT's sharding, or each tuple element's."""
    entry = before.entry.instructions
    by_name = {i.name: i for i in entry}
    root = next((i for i in entry if i.root), entry[-1] if entry else None)
    outputs = [n for n in graph.nodes if n.kind == OUTPUT]
    if root is not None and root.opcode == "tuple" and "sharding" not in root.attributes:
        tilings = [_tiling(by_name[o]) if o in by_name else None for o in root.operands]
    elif root is not None and "sharding" in root.attributes:
        tilings = parse_sharding(root.attributes["sharding"])
    else:
        tilings = [_tiling(root)] if root is not None else []
    if len(tilings) != len(outputs):
        tilings = [None] * len(outputs)
    return {(n.id, 0): _edge_from(n, 0, t, mesh, "ROOT") for n, t in zip(outputs, tilings)}


def _fill_from_neighbours(edges: dict, graph: Graph) -> None:
    """A call's result (``jit``, ``shard_map``) has no instruction of its own: it is the
    stage output it feeds, or else its body's result."""
    for e in graph.edges:
        if e.dst.startswith("out"):
            _copy(edges.get((e.src, e.src_port)), edges.get((e.dst, 0)), "(output)")
    for node in graph.walk_nodes():
        for sub in node.subgraphs:
            for e in sub.edges:
                port = _port_of(sub, e.dst)
                if port is not None:  # a manual (shard_map) body says nothing of outside
                    _copy(
                        edges.get((node.id, port)),
                        edges.get((e.src, e.src_port)),
                        "(its body's result)",
                        skip=("absent", "manual"),
                    )
    _fill_constraints(edges, graph)


def _fill_constraints(edges: dict, graph: Graph) -> None:
    """A ``with_sharding_constraint`` leaves no instruction once propagation has used it:
    its result is its operand, sharded as the operand ended up."""
    nodes = {n.id: n for n in graph.walk_nodes()}
    for e in _all_edges(graph):
        node = nodes.get(e.dst)
        if node is not None and node.primitive == "sharding_constraint":
            _copy(edges.get((e.dst, 0)), edges.get((e.src, e.src_port)), "(its operand)")


def _copy(target: dict | None, source: dict | None, why: str, skip: tuple = ("absent",)) -> None:
    """Give an edge without an instruction the sharding of the value it equals."""
    if target is None or source is None or target["kind"] != "absent" or source["kind"] in skip:
        return
    shown = source["text"].split(" ", 1)[-1]
    target.update(
        kind=source["kind"], axes=source["axes"], instruction=why, text=f"{target['type']} {shown}"
    )


def _all_edges(graph: Graph):
    yield from graph.edges
    for node in graph.nodes:
        for sub in node.subgraphs:
            yield from _all_edges(sub)


def _port_of(sub: Graph, node_id: str) -> int | None:
    """The parent's result a nested graph's output node stands for."""
    outs = [n.id for n in sub.nodes if n.kind == OUTPUT]
    if node_id not in outs:
        return None
    k = outs.index(node_id)
    return sub.output_ports[k] if k < len(sub.output_ports) else k


def _edge(node: Node, port: int, ins: Instruction | None, mesh: MeshAxes) -> dict:
    tiling = _tiling(ins) if ins is not None else None
    return _edge_from(node, port, tiling, mesh, ins.name if ins is not None else "")


SHOWN = {
    "manual": "{manual: per-device body}",
    "absent": "{not in the partitioned module}",
    "maximal": "{on one device}",
    "unknown": "{?}",
}


def _edge_from(node: Node, port: int, tiling, mesh: MeshAxes, instruction: str) -> dict:
    out = node.outputs[port] if port < len(node.outputs) else None
    rank = len(out.shape) if out else 0
    dims = dim_axes(tiling, rank, mesh) if tiling is not None else None
    kind = tiling.kind if tiling is not None else "absent"
    shown = axes_text(dims) if dims is not None else SHOWN.get(kind, "{?}")
    return {
        "node": node.id,
        "port": port,
        "name": _name(node),
        "type": out.type if out else "",
        "kind": kind,
        "axes": [list(d) for d in dims] if dims is not None else None,
        "text": f"{out.type if out else ''} {shown}",
        "instruction": instruction,
        "line": node.line,
        "asked": None,
    }


def _name(node: Node) -> str:
    return equation_name(node) if node.kind == EQN else (node.display_name or node.label)


def mark_asked(edges: list[dict], asked: dict[str, list[list[str]]],
               mesh: MeshAxes | None = None) -> None:
    """Say, on each edge the user gave a sharding for (``in_shardings``, ``out_shardings``,
    ``with_sharding_constraint``), what was asked and whether XLA kept it: an axis of size 1
    splits nothing, so asking for it is asking for nothing."""
    ones = {n for n, s in zip(mesh.names, mesh.sizes) if s == 1} if mesh else set()
    for edge in edges:
        wanted = asked.get(f"{edge['node']}:{edge['port']}")
        if wanted is not None:
            edge["asked"] = wanted
            split = [[a for a in dim if a not in ones] for dim in wanted]
            edge["kept"] = edge["axes"] == split


def attach_equations(found: list[dict], graph: Graph) -> None:
    """Each collective's equation name and user line, from its tag."""
    nodes = {n.id: n for n in graph.walk_nodes()}
    for c in found:
        known = [nodes[t] for t in c["equations"] if t in nodes]
        c["equation_names"] = [equation_name(n) for n in known]
        c["source_lines"] = [n.line for n in known]
        if c["equations"] and not known:
            c["via"], c["reason"] = "explained", f"its tag {c['equations']} names no equation"


def costs(stage: Stage, xla_cost: dict, memory: dict, partitions: int) -> dict:
    """FLOPs, bytes and memory: XLA's figures for one device beside the whole program's."""
    ours = total(stage_costs(stage), stage.graph) if stage.costs else EquationCost()
    arrays = _io_bytes(stage.graph)
    peak = (
        memory.get("argument_size_in_bytes", 0)
        + memory.get("output_size_in_bytes", 0)
        + memory.get("temp_size_in_bytes", 0)
        - memory.get("alias_size_in_bytes", 0)
    )
    return {
        "devices": partitions,
        "flops": {"per_device": xla_cost.get("flops"), "global": ours.flops},
        "bytes": {
            "per_device": xla_cost.get("bytes accessed"),
            "global": ours.bytes_read + ours.bytes_written,
        },
        "memory": {"per_device": peak if memory else None, "global": arrays},
        "memory_parts": memory,
        "note": _manual_note(stage.graph),
        "words": {
            "per_device": "XLA's cost_analysis / memory_analysis of the "
            "partitioned module: one device's share",
            "global": "the whole program, counted from the jaxpr's shapes "
            "(memory: its inputs and outputs, unsharded)",
        },
    }


def _manual_note(graph: Graph) -> str:
    if any(n.primitive == "shard_map" for n in graph.walk_nodes()):
        return (
            "a shard_map body's shapes are one device's: the global count has its "
            "equations once, as one device runs them"
        )
    return ""


def _io_bytes(graph: Graph) -> int:
    return sum(
        port_bytes(p.shape, p.dtype)
        for n in graph.nodes
        if n.kind in (INPUT, OUTPUT)
        for p in n.outputs[:1]
    )


def report(
    after: HloModule,
    before: HloModule | None,
    stage: Stage,
    mesh: MeshAxes,
    partitions: int,
    xla: dict,
) -> dict:
    """The whole report of one partitioned stage."""
    found = collectives(after, mesh, partitions)
    attach_equations(found, stage.graph)
    edges = edge_shardings(before, stage.graph, mesh) if before is not None else []
    return {
        "stage": stage.title,
        "mesh": {"names": mesh.names, "sizes": mesh.sizes},
        "partitions": partitions,
        "collectives": found,
        "by_kind": by_kind(found),
        "edges": edges,
        "edges_read": before is not None,
        "costs": costs(stage, xla.get("cost", {}), xla.get("memory", {}), partitions),
    }
