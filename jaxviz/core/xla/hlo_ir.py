"""The graph IR of an HLO module: instructions as nodes, fusions and called computations as
groups that open.

The entry computation is the top graph. A ``fusion`` holds its fused computation, a ``while``
its condition and body, a ``conditional`` its branches, a ``call`` what it calls: each is a
nested graph of that node, so the app, the layout and the exports treat them like a jaxpr's
``cond`` or ``jit``. Parameters are the graph's inputs, the ROOT instruction feeds its output.
"""

from __future__ import annotations

from ..ir.graph import EQN, INPUT, OUTPUT, Edge, Graph, Node, Port
from .hlo_text import Computation, HloModule, Instruction, called, type_parts

MAX_DEPTH = 12  # computations calling computations: deeper than any XLA program we met
# attributes worth a label, by opcode (the others are in the tooltip)
LABEL_ATTRIBUTES = {"fusion": ("kind",), "compare": ("direction",), "reduce": ("dimensions",),
                    "broadcast": ("dimensions",), "transpose": ("dimensions",),
                    "get-tuple-element": ("index",), "custom-call": ("custom_call_target",),
                    "call": ("to_apply",), "while": ("body",)}


def hlo_graph(module: HloModule, title: str = "") -> Graph:
    """The entry computation, with every computation it runs nested inside its caller."""
    graph = _computation_graph(module, module.entry, "", "hlo", title or module.name, 0)
    return graph


def _computation_graph(module: HloModule, comp: Computation, gid: str, kind: str, name: str,
                       depth: int) -> Graph:
    graph = Graph(id=gid, kind=kind, name=name)
    prefix = f"{gid}/" if gid else ""
    producers: dict[str, tuple[str, Port]] = {}
    count = 0
    for ins in comp.instructions:
        port = _port(ins)
        if ins.opcode == "parameter":
            number = _parameter_number(ins)
            node = Node(id=f"{prefix}in{number}", kind=INPUT, label=ins.name, outputs=[port],
                        text=ins.text, text_line=ins.line)
        else:
            node = _instruction_node(module, ins, f"{prefix}e{count}", port, depth)
            count += 1
        graph.nodes.append(node)
        graph.edges += _operand_edges(ins, node.id, producers)
        producers[ins.name] = (node.id, port)
    roots = [ins for ins in comp.instructions if ins.root] or comp.instructions[-1:]
    for k, root in enumerate(roots):
        src, port = producers[root.name]
        graph.nodes.append(Node(id=f"{prefix}out{k}", kind=OUTPUT, label=root.name,
                                outputs=[port]))
        graph.edges.append(Edge(src, f"{prefix}out{k}", root.name, 0, 0, port.type,
                                port.shape, port.dtype))
    return graph


def _instruction_node(module: HloModule, ins: Instruction, node_id: str, port: Port,
                      depth: int) -> Node:
    params = dict(ins.attributes)
    if ins.op_name:  # JAX's name stack: kept as text (a name stack would draw scope boxes)
        params["op_name"] = ins.op_name
    shown = LABEL_ATTRIBUTES.get(ins.opcode, ())
    short = " ".join(f"{k}={params[k]}" for k in shown if k in params)
    if ins.opcode == "fusion":
        short = f"{ins.name} {short}"
    node = Node(id=node_id, kind=EQN, label=ins.opcode, primitive=ins.opcode, params=params,
                params_short=short.strip(), params_full=", ".join(f"{k}={v}" for k, v in
                                                                   params.items()),
                outputs=[port], arity=len(ins.operands), text=ins.text, text_line=ins.line)
    if depth < MAX_DEPTH:
        node.subgraphs = _called_graphs(module, ins, node_id, depth)
    return node


def _called_graphs(module: HloModule, ins: Instruction, node_id: str, depth: int
                   ) -> list[Graph]:
    graphs = []
    for k, (role, name) in enumerate(called(ins)):
        comp = module.computations.get(name)
        if comp is None:
            continue
        graph = _computation_graph(module, comp, f"{node_id}/g{k}", ins.opcode,
                                   f"{role}: {name}" if role != "fused" else name, depth + 1)
        n_inputs = sum(1 for i in comp.instructions if i.opcode == "parameter")
        # a fusion's and a call's parameters are its operands in order; a while's and a
        # conditional's take the loop state or the branch operand, not one operand each
        direct = ins.opcode in ("fusion", "call")
        graph.input_ports = [i if direct and i < len(ins.operands) else None
                             for i in range(n_inputs)]
        graph.output_ports = [0]
        graphs.append(graph)
    return graphs


def _operand_edges(ins: Instruction, node_id: str, producers: dict) -> list[Edge]:
    edges = []
    for position, operand in enumerate(ins.operands):
        if operand in producers:
            src, port = producers[operand]
            edges.append(Edge(src, node_id, operand, 0, position, port.type, port.shape,
                              port.dtype))
    return edges


def _port(ins: Instruction) -> Port:
    shape, dtype = type_parts(ins.type)
    return Port(ins.name, ins.type, shape, dtype)


def _parameter_number(ins: Instruction) -> int:
    text = ins.text.split("parameter(", 1)[-1].split(")", 1)[0]
    return int(text) if text.isdigit() else 0


def instruction_count(module: HloModule) -> int:
    """Instructions in the entry computation and every computation it runs as part."""
    seen: set[str] = set()

    def count(comp: Computation) -> int:
        if comp.name in seen:
            return 0
        seen.add(comp.name)
        total = 0
        for ins in comp.instructions:
            total += 1 if ins.opcode != "parameter" else 0
            for _, name in called(ins):
                if name in module.computations:
                    total += count(module.computations[name])
        return total
    return count(module.entry)
