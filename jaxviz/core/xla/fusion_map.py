"""Which XLA instruction and fusion each jaxpr equation ended in.

The worker compiles the jaxpr with every equation tagged (``frontend_attributes=
{jaxviz_eqn="<IR node id>"}``, see ``trace/compiled.py``); XLA keeps the tag on the
instructions it makes from the equation, fused or not. Reading the optimized module back, each
equation is:

- ``fused``: its instructions run inside a fusion (with the other equations of that fusion);
- ``own``: it runs as an instruction of its own (a ``dot``, a ``while``, a copy);
- ``inlined``: a call (``pjit``, ``custom_jvp_call``, ``checkpoint``, ...) whose body was
  inlined: its equations are mapped one by one;
- ``dead``: nothing uses its results; XLA removed it (as ``jit`` would);
- ``folded``: it depends on constants only; XLA computed it at compile time;
- ``merged``: XLA rewrote it into a neighbour (a transpose folded into a ``dot``, a multiply by
  one dropped) that carries only the neighbour's tag; ``into`` names the kernel of the nearest
  consumer that has one;
- ``combiner``: the combining function of a scatter, a reduction or a window (its
  ``update_jaxpr`` or ``jaxpr``): it runs inside its holder's instruction.

Where a lowering rule drops the tag (``shard_map``'s body, a callback's custom-call), an
instruction without a tag whose ``op_name`` ends in the equation's primitive stands in for it,
paired in program order (``via="op_name"``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field

from ..ir.graph import CONST, EQN, INPUT, OUTPUT, Graph, Node
from .hlo_text import HloModule, Instruction, called

FUSED, OWN, INLINED, DEAD, FOLDED, MERGED, COMBINER, UNMAPPED = (
    "fused", "own", "inlined", "dead", "folded", "merged", "combiner", "unmapped")
CONTROL_OPCODES = ("while", "conditional", "call", "custom-call")
STATUS_TEXT = {
    FUSED: "fused with other equations into one kernel",
    OWN: "an XLA instruction of its own",
    INLINED: "a call whose equations are mapped one by one",
    DEAD: "removed by XLA: nothing uses its results",
    FOLDED: "computed at compile time: it depends on constants only",
    MERGED: "rewritten by XLA into a neighbouring instruction",
    COMBINER: "the combining function of its scatter or reduction, run inside it",
    UNMAPPED: "no instruction found for it",
}


@dataclass
class Placement:
    """Where one equation ended up."""

    status: str
    kernel: str = ""  # the fusion or instruction that runs it ("" when none)
    kernel_kind: str = ""  # "kLoop", "kInput", "kOutput", "kCustom" for fusions, else opcode
    instructions: list[str] = field(default_factory=list)  # HLO instructions carrying its tag
    via: str = "tag"  # "tag", or "op_name" when tagging was not possible
    # kernels its instructions run in: XLA duplicates a cheap producer into each fusion
    # that reads it (and its cost analysis counts each copy)
    copies: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Kernel:
    name: str
    kind: str


def kernels_of(module: HloModule) -> dict[str, Kernel]:
    """For each instruction name, the kernel that runs it: the fusion holding it (the
    outermost one, for fusions inside fusions), or itself."""
    kernels: dict[str, Kernel] = {}

    def visit(comp_name: str, owner: Kernel | None, seen: tuple) -> None:
        comp = module.computations.get(comp_name)
        if comp is None or comp_name in seen:
            return
        for ins in comp.instructions:
            own = owner or Kernel(ins.name, _kind(ins))
            kernels.setdefault(ins.name, own)
            for role, name in called(ins):
                visit(name, own if role == "fused" or owner else None, seen + (comp_name,))
    visit(module.entry.name, None, ())
    return kernels


def _kind(ins: Instruction) -> str:
    return ins.attributes.get("kind", "") if ins.opcode == "fusion" else ins.opcode


def tagged_instructions(module: HloModule) -> dict[str, list[Instruction]]:
    tags: dict[str, list[Instruction]] = {}
    for comp in module.computations.values():
        for ins in comp.instructions:
            if ins.tag:
                tags.setdefault(ins.tag, []).append(ins)
    return tags


def fusion_map(module: HloModule, graph: Graph) -> dict[str, Placement]:
    """A Placement for every equation of ``graph`` (nested ones included)."""
    kernels = kernels_of(module)
    tags = tagged_instructions(module)
    nodes = {n.id: n for n in graph.walk_nodes()}
    placements: dict[str, Placement] = {}
    for node in nodes.values():
        if node.kind == EQN:
            placements[node.id] = _tagged_place(node, tags.get(node.id, []), kernels)
    _by_op_name(module, nodes, placements, kernels)
    dynamic = input_dependent(graph)
    links = (_consumers(graph), _producers(graph))
    live = live_nodes(graph)
    for node_id, place in placements.items():
        if place.status == UNMAPPED:
            holder = nodes.get(node_id.rsplit("/g", 1)[0]) if "/g" in node_id else None
            _explain_missing(nodes[node_id], place, dynamic, links, placements, live, holder)
    return placements


def _by_op_name(module: HloModule, nodes: dict[str, Node], placements: dict[str, Placement],
                kernels: dict[str, Kernel]) -> None:
    """Unmapped equations placed by the untagged instructions named after their primitive,
    in program order, where the counts agree (a lowering rule that dropped the tag)."""
    untagged: dict[str, list[Instruction]] = {}
    for comp in module.computations.values():
        for ins in comp.instructions:
            if not ins.tag and ins.op_name and ins.opcode not in ("parameter", "fusion"):
                untagged.setdefault(ins.op_name.rsplit("/", 1)[-1], []).append(ins)
    waiting: dict[str, list[Node]] = {}
    for node_id, place in placements.items():
        if place.status == UNMAPPED:
            waiting.setdefault(nodes[node_id].primitive, []).append(nodes[node_id])
    for primitive, group in waiting.items():
        found = untagged.get(primitive, [])
        if len(found) != len(group):
            continue
        for node, ins in zip(group, found):
            placements[node.id] = _tagged_place(node, [ins], kernels)
            placements[node.id].via = "op_name"


def _tagged_place(node: Node, instructions: list[Instruction], kernels: dict[str, Kernel]
                  ) -> Placement:
    names = [i.name for i in instructions]
    found = [kernels[n] for n in names if n in kernels]
    if not found:
        return Placement(INLINED if node.subgraphs else UNMAPPED, instructions=names)
    fused = [k for k in found if k.kind.startswith("k")]
    if node.subgraphs:  # a loop or a branch: its own while/conditional, not its plumbing
        control = [k for k in found if k.kind in CONTROL_OPCODES]
        if control:
            return Placement(OWN, control[0].name, control[0].kind, names)
    kernel = (fused or found)[0]
    return Placement(FUSED if fused else OWN, kernel.name, kernel.kind, names,
                     copies=len({k.name for k in found}))


# primitives whose nested jaxpr is a combining function, run inside their own instruction
COMBINING = {"scatter", "scatter-add", "scatter-sub", "scatter-mul", "scatter-min",
             "scatter-max", "reduce", "reduce_window", "select_and_scatter"}


def _explain_missing(node: Node, place: Placement, dynamic: set[str], links: tuple,
                     placements: dict[str, Placement], live: set[str],
                     holder: Node | None) -> None:
    if holder is not None and holder.primitive in COMBINING:
        held_in = placements[holder.id]
        place.status, place.kernel, place.kernel_kind = COMBINER, held_in.kernel, \
            held_in.kernel_kind
    elif node.unused or node.id not in live:
        place.status = DEAD
    elif node.id not in dynamic:
        place.status = FOLDED
    else:
        into = _nearest_kernel(node.id, links[0], placements) or \
            _nearest_kernel(node.id, links[1], placements)
        if into is not None:
            place.status, place.kernel, place.kernel_kind = MERGED, into.kernel, into.kernel_kind


def live_nodes(graph: Graph) -> set[str]:
    """Ids of the equations whose results reach the stage's outputs (or that have effects),
    result by result: a result of a call that nobody reads keeps nothing inside the call
    alive, as XLA's dead-code elimination sees it across calls."""
    live: set[str] = set()
    _mark_live(graph, None, live)
    return live


def _mark_live(graph: Graph, live_outputs: set[int] | None, live: set[str]) -> None:
    """Mark the live equations of ``graph``, whose outputs ``live_outputs`` are read (all
    when None), nested jaxprs included."""
    needed: dict[str, set[int]] = {}  # node → its results read by something live
    by_dst: dict[str, list] = {}
    for edge in graph.edges:
        by_dst.setdefault(edge.dst, []).append(edge)

    def read_by(node_id: str) -> None:
        for edge in by_dst.get(node_id, []):
            needed.setdefault(edge.src, set()).add(edge.src_port)
    outputs = [n for n in graph.nodes if n.kind == OUTPUT]
    for k, node in enumerate(outputs):
        if live_outputs is None or k in live_outputs:
            read_by(node.id)
    for node in reversed(graph.nodes):
        results = needed.get(node.id, set())
        if node.kind != EQN or not results and not node.effects:
            continue
        live.add(node.id)
        read_by(node.id)
        for sub in node.subgraphs:
            inner = None if node.effects else {
                i for i, port in enumerate(sub.output_ports) if port is None or port in results}
            _mark_live(sub, inner, live)


def _nearest_kernel(node_id: str, neighbours: dict[str, list[str]],
                    placements: dict[str, Placement]) -> Placement | None:
    """The placement of the nearest neighbour that runs in a kernel: following results
    forward (out of nested jaxprs into the equation holding them) to a consumer, or, for
    what feeds only the outputs (a reshape XLA made a bitcast of), back to a producer."""
    consumers = neighbours
    queue, seen = deque([node_id]), {node_id}
    while queue:
        current = queue.popleft()
        for nxt in consumers.get(current, []):
            place = placements.get(nxt)
            if place is not None and place.kernel and place.status in (FUSED, OWN):
                return place
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return None


def _consumers(graph: Graph) -> dict[str, list[str]]:
    """Node → the nodes using its results; a nested jaxpr's output leads to its holder, and
    what feeds a holder's operand leads into the nested input it becomes (a call XLA
    inlined)."""
    out: dict[str, list[str]] = {}
    inputs: dict[tuple, list[str]] = {}  # (holder, operand) → the nested inputs it feeds
    for sub in graph.walk_graphs():
        holder = sub.id.rsplit("/g", 1)[0] if sub.id else None
        if holder is None:
            continue
        ins = [n for n in sub.nodes if n.kind == INPUT]
        for node, port in zip(ins, sub.input_ports):
            inputs.setdefault((holder, port), []).append(node.id)
        for node in sub.nodes:
            if node.kind == OUTPUT:
                out.setdefault(node.id, []).append(holder)
    for sub in graph.walk_graphs():
        for edge in sub.edges:
            out.setdefault(edge.src, []).append(edge.dst)
            out[edge.src].extend(inputs.get((edge.dst, edge.dst_port), ()))
    return out


def _producers(graph: Graph) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for sub in graph.walk_graphs():
        for edge in sub.edges:
            out.setdefault(edge.dst, []).append(edge.src)
    return out


def input_dependent(graph: Graph, dynamic_inputs: set[int] | None = None) -> set[str]:
    """Ids of the nodes whose value depends on the program's inputs (not on constants only):
    those are the ones XLA cannot compute at compile time."""
    dynamic: set[str] = set()
    sources = {e.dst: [] for e in graph.edges}
    for edge in graph.edges:
        sources[edge.dst].append(edge.src)
    for node in graph.nodes:
        if node.kind == INPUT:
            index = int(node.id.rsplit("in", 1)[-1])
            if dynamic_inputs is None or index in dynamic_inputs:
                dynamic.add(node.id)
        elif node.kind == CONST:
            continue
        elif any(s in dynamic for s in sources.get(node.id, [])) or node.effects:
            dynamic.add(node.id)
        if node.kind == EQN:
            dynamic |= _nested_dependent(node, sources.get(node.id, []), graph, dynamic)
            if any(n in dynamic for n in _nested_outputs(node)):
                dynamic.add(node.id)
    return dynamic


def _nested_dependent(node: Node, srcs: list[str], graph: Graph, dynamic: set[str]
                      ) -> set[str]:
    edges = {e.dst_port: e.src for e in graph.edges if e.dst == node.id}
    found: set[str] = set()
    for sub in node.subgraphs:
        inputs = {k for k, port in enumerate(sub.input_ports)
                  if port is None and any(s in dynamic for s in srcs)
                  or port is not None and edges.get(port) in dynamic}
        if not sub.input_ports:
            inputs = set(range(sum(1 for n in sub.nodes if n.kind == INPUT)))
        found |= input_dependent(sub, inputs)
    return found


def _nested_outputs(node: Node) -> list[str]:
    return [n.id for sub in node.subgraphs for n in sub.nodes if n.kind == OUTPUT]


def fusion_mates(placements: dict[str, Placement], node_id: str) -> list[str]:
    """The equations that run in the same kernel as ``node_id`` (itself included)."""
    kernel = placements.get(node_id)
    if kernel is None or not kernel.kernel:
        return []
    return [nid for nid, p in placements.items() if p.kernel == kernel.kernel]


def summary(placements: dict[str, Placement]) -> dict[str, int]:
    counts = {status: 0 for status in STATUS_TEXT}
    for place in placements.values():
        counts[place.status] += 1
    return counts


def op_name_map(module: HloModule, graph: Graph) -> dict[str, Placement]:
    """The fallback without tags: JAX's ``op_name`` metadata ends in the primitive's name. The
    equations of one primitive and the instructions named after it are paired in program order
    when their counts agree; otherwise the equations stay unmapped (the map says which way it
    was made)."""
    kernels = kernels_of(module)
    by_primitive: dict[str, list[Instruction]] = {}
    for comp in module.computations.values():
        for ins in comp.instructions:
            if ins.op_name and ins.opcode != "parameter":
                by_primitive.setdefault(ins.op_name.rsplit("/", 1)[-1], []).append(ins)
    eqns: dict[str, list[Node]] = {}
    for node in graph.walk_nodes():
        if node.kind == EQN:
            eqns.setdefault(node.primitive, []).append(node)
    placements: dict[str, Placement] = {}
    for primitive, nodes in eqns.items():
        found = by_primitive.get(primitive, [])
        for k, node in enumerate(nodes):
            ins = [found[k]] if len(found) == len(nodes) else []
            placements[node.id] = _tagged_place(node, ins, kernels)
            placements[node.id].via = "op_name"
    return placements
