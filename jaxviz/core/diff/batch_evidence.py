"""What the stage before a ``vmap`` says about each variable of the vmap stage: its shape there.

A variable of the vmap stage is found in the stage before by the node pairing of the diff
(``diff.pairs.pair_stages``: equations by what they are, wherever they are nested) plus the
positions that vmap never changes: a stage's inputs and outputs, and the inputs and outputs of
the nested jaxprs of two paired equations. Each variable then has up to two kinds of witness:

- its *producer*'s partner: the before equation's result at the same position;
- each *consumer*'s partner: what flows into the before equation at the same operand position
  (this reaches the values vmap added itself, such as the ``broadcast_in_dim`` that batches an
  unbatched operand, whose producer has no partner).

``batch_axes`` compares each witness's shape with the variable's shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..ir.graph import CONST, EQN, INPUT, OUTPUT, Edge, Graph, Node, Stage
from ..pipeline_spec import PipelineError, parse_pipeline
from .pairs import flatten, loose_key, strict_key

Var = tuple[str, int]  # (id of the node that defines it, its position among that node's results)


@dataclass
class Witness:
    """A shape in the stage before that stands for a variable of the vmap stage."""

    shape: list
    type: str
    via: str  # "result" (its producer's partner) or "operand" (a consumer's partner)


def node_pairs(before: Stage, after: Stage) -> dict[str, str]:
    """Node id in the vmap stage → node id in the stage before, for every node that has one."""
    pairs = equation_pairs(before, after)
    _pair_ends(before.graph, after.graph, pairs)
    nodes_before = {n.id: n for n in before.graph.walk_nodes()}
    for node in after.graph.walk_nodes():
        partner = nodes_before.get(pairs.get(node.id, ""))
        if (
            node.kind == EQN
            and partner is not None
            and len(partner.subgraphs) == len(node.subgraphs)
        ):
            for sub_a, sub_b in zip(node.subgraphs, partner.subgraphs):
                _pair_ends(sub_b, sub_a, pairs)
    return pairs


def equation_pairs(before: Stage, after: Stage) -> dict[str, str]:
    """The diff's two passes (``diff.pairs``: strict, then loose: same primitive, line and
    scopes), the loose one only between equations whose results could be the same values with
    a batch dimension added. vmap inserts equations at the very line of others (the
    ``broadcast_in_dim`` of an unbatched constant): the diff, which pairs each with the first
    free one of its key, may pair one with such a newcomer; shapes that cannot fit never are."""
    ours, theirs = flatten(after.graph), flatten(before.graph)
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for key, check in ((strict_key, False), (loose_key, True)):
        waiting: dict[tuple, list[Node]] = {}
        for e in ours:
            if e.node.id not in pairs:
                waiting.setdefault(key(e), []).append(e.node)
        for e in theirs:
            queue = waiting.get(key(e), []) if e.node.id not in taken else []
            found = next((n for n in queue if not check or _could_be(e.node, n)), None)
            if found is not None:
                queue.remove(found)
                pairs[found.id] = e.node.id
                taken.add(e.node.id)
    return pairs


def _could_be(before: Node, after: Node) -> bool:
    """Each result of ``after`` is the one of ``before``, or it with one dimension added."""
    return len(before.outputs) == len(after.outputs) and all(
        _one_more(list(a.shape), list(b.shape)) for a, b in zip(after.outputs, before.outputs)
    )


def _one_more(after: list, before: list) -> bool:
    if after == before:
        return True
    return len(after) == len(before) + 1 and any(
        after[:i] + after[i + 1 :] == before for i in range(len(after))
    )


def _pair_ends(before: Graph, after: Graph, pairs: dict[str, str]) -> None:
    """Inputs, constants and outputs by position: vmap keeps their number and order (only
    their shapes change). Where the counts differ, nothing is paired rather than a guess."""
    for kind in (INPUT, CONST, OUTPUT):
        ours = [n.id for n in after.nodes if n.kind == kind]
        theirs = [n.id for n in before.nodes if n.kind == kind]
        if len(ours) == len(theirs):
            pairs.update(zip(ours, theirs))


def witnesses(before: Stage, after: Stage) -> dict[Var, list[Witness]]:
    """Each variable of the vmap stage → the shapes the stage before gives it."""
    pairs = node_pairs(before, after)
    nodes_before = {n.id: n for n in before.graph.walk_nodes()}
    into_before = {(e.dst, e.dst_port): e for g in before.graph.walk_graphs() for e in g.edges}
    found: dict[Var, list[Witness]] = {}
    for node in after.graph.walk_nodes():
        partner = nodes_before.get(pairs.get(node.id, ""))
        if partner is None or node.kind == OUTPUT:
            continue
        for k, port in enumerate(partner.outputs[: len(node.outputs)]):
            found.setdefault((node.id, k), []).append(Witness(port.shape, port.type, "result"))
    for edge in edges(after.graph):
        partner_id = pairs.get(edge.dst, "")
        theirs = into_before.get((partner_id, edge.dst_port))
        if theirs is not None:
            found.setdefault((edge.src, edge.src_port), []).append(
                Witness(theirs.shape, theirs.type, "operand")
            )
        elif partner_id in nodes_before:  # vmap batched what was a literal (a scan's 0.0)
            literal = _literal_witness(nodes_before[partner_id], edge.dst_port)
            if literal is not None:
                found.setdefault((edge.src, edge.src_port), []).append(literal)
    return found


def _literal_witness(node: Node, position: int) -> Witness | None:
    """The shape of a literal operand, read from its type (``0.0:f32[]``: ``[]``)."""
    for lit in node.literals:
        if lit.position == position:
            type_text = lit.text.rpartition(":")[2]
            dims = type_text[type_text.find("[") + 1 : type_text.rfind("]")]
            if "[" in type_text and all(d.strip().isdigit() for d in dims.split(",") if dims):
                return Witness([int(d) for d in dims.split(",") if dims], type_text, "literal")
    return None


def declared_axes(
    transform: str, graph: Graph
) -> tuple[dict[str, int | None], dict[str, int | None]]:
    """Input and output node id → the axis ``vmap(in_axes=..., out_axes=...)`` declares for
    it, where the transform says so plainly: one int for every value, or a tuple with one
    entry per input (so one per flat value). A negative axis counts from the end."""
    try:
        spec = parse_pipeline(transform)[0]
    except (PipelineError, IndexError):
        return {}, {}
    if spec.name != "vmap":
        return {}, {}
    options = spec.options
    ins = [n for n in graph.nodes if n.kind == INPUT]
    outs = [n for n in graph.nodes if n.kind == OUTPUT and n.outputs]
    return (_per_node(options.get("in_axes", 0), ins), _per_node(options.get("out_axes", 0), outs))


def _per_node(axes, nodes: list[Node]) -> dict[str, int | None]:
    if isinstance(axes, int) and not isinstance(axes, bool):
        axes = [axes] * len(nodes)
    if (
        not isinstance(axes, (tuple, list))
        or len(axes) != len(nodes)
        or not all(a is None or type(a) is int for a in axes)
    ):
        return {}
    return {
        n.id: a if a is None or a >= 0 else a + len(n.outputs[0].shape) for n, a in zip(nodes, axes)
    }


def edges(graph: Graph) -> Iterator[Edge]:
    """Every edge of a graph and of its nested graphs."""
    for g in graph.walk_graphs():
        yield from g.edges


def variables(graph: Graph) -> Iterator[tuple[Var, Node, int]]:
    """Every variable a node of the stage defines (an output node's is its operand's)."""
    for node in graph.walk_nodes():
        if node.kind != OUTPUT:
            for k in range(len(node.outputs)):
                yield (node.id, k), node, k


def operands(graph: Graph) -> dict[str, dict[int, Var]]:
    """Node id → operand position → the variable flowing in (literals have none)."""
    out: dict[str, dict[int, Var]] = {}
    for edge in edges(graph):
        out.setdefault(edge.dst, {})[edge.dst_port] = (edge.src, edge.src_port)
    return out
