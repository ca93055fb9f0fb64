"""What each equation costs: FLOPs, transcendentals, bytes read and written, from its shapes.

The counting follows XLA's own cost analysis (``Compiled.cost_analysis()``), so the totals can
be compared: an elementwise op is one FLOP per result element, a transcendental (exp, log,
tanh, sin, sqrt, ...) one transcendental and no FLOP, a ``dot_general`` two FLOPs per
multiply-add, a reduction one FLOP per input element; data movement is free. Bytes are the
operands' and the results' sizes, as if nothing were fused (fusion is what saves them).

A call (``pjit``, ``custom_jvp_call``, ``checkpoint``) costs its body, a ``scan`` its body
times its length, a ``cond`` its most expensive branch, a ``while`` its body once (the trip
count is not known before it runs; the cost says so). The worker may override the FLOPs of
plain equations with ``jax.experimental.roofline``'s rules where JAX has one (``rule``).
"""

from __future__ import annotations

import ast
import math
from dataclasses import asdict, dataclass

from ..ir.graph import EQN, Graph, Node
from ..model.styles import CATEGORY_OF, ELEMENTWISE, REDUCTION

ITEMSIZE = {"bool": 1, "int8": 1, "uint8": 1, "float8_e4m3fn": 1, "float8_e5m2": 1,
            "int16": 2, "uint16": 2, "float16": 2, "bfloat16": 2, "int32": 4, "uint32": 4,
            "float32": 4, "int64": 8, "uint64": 8, "float64": 8, "complex64": 8,
            "complex128": 16}
# XLA counts these as transcendentals (HloCostAnalysis), sqrt and pow included
TRANSCENDENTALS = {"exp", "exp2", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh",
                   "logistic", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh",
                   "acosh", "atanh", "erf", "erfc", "erf_inv", "lgamma", "digamma", "sqrt",
                   "rsqrt", "cbrt", "pow"}
FREE = {"convert_element_type", "copy", "copy_p", "stop_gradient", "select_n", "real", "imag"}


@dataclass
class EquationCost:
    flops: float = 0.0
    transcendentals: float = 0.0
    bytes_read: float = 0.0
    bytes_written: float = 0.0
    rule: str = "shapes"  # "shapes" (ours), "roofline" (JAX's rule for the FLOPs), "body"
    note: str = ""  # e.g. "while: trip count unknown, body counted once"

    @property
    def bytes(self) -> float:
        return self.bytes_read + self.bytes_written

    def add(self, other: EquationCost, times: float = 1.0) -> None:
        self.flops += other.flops * times
        self.transcendentals += other.transcendentals * times
        self.bytes_read += other.bytes_read * times
        self.bytes_written += other.bytes_written * times

    def to_dict(self) -> dict:
        return asdict(self)


METRICS = ("flops", "transcendentals", "bytes_read", "bytes_written", "bytes")


def elements(shape: list) -> int:
    return math.prod(d for d in shape if isinstance(d, int))


def port_bytes(shape: list, dtype: str) -> int:
    return elements(shape) * ITEMSIZE.get(dtype, 4)


def equation_costs(graph: Graph, flops_override: dict[str, float] | None = None
                   ) -> dict[str, EquationCost]:
    """A cost for every equation of the graph, nested ones included; an equation that holds
    nested jaxprs carries the cost of what runs inside it."""
    costs: dict[str, EquationCost] = {}
    _graph_costs(graph, flops_override or {}, costs)
    return costs


def _graph_costs(graph: Graph, override: dict[str, float], costs: dict) -> EquationCost:
    total = EquationCost()
    operands: dict[str, list[tuple[list, str]]] = {}
    for edge in graph.edges:
        operands.setdefault(edge.dst, []).append((edge.shape, edge.dtype))
    for node in graph.nodes:
        if node.kind != EQN:
            continue
        cost = _node_cost(node, operands.get(node.id, []), override, costs)
        costs[node.id] = cost
        total.add(cost)
    return total


def _node_cost(node: Node, operands: list, override: dict, costs: dict) -> EquationCost:
    if node.subgraphs:
        return _nested_cost(node, override, costs)
    cost = EquationCost()
    out = sum(elements(p.shape) for p in node.outputs)
    prim = node.primitive
    if prim in TRANSCENDENTALS:
        cost.transcendentals = out
    elif prim == "integer_pow":
        cost.flops = out * max(1, abs(int(node.params.get("y", "2") or 2)) - 1)
    elif prim in ("dot_general", "ragged_dot_general", "ragged_dot"):
        cost.flops = 2 * out * _contracted(node, operands)
    elif prim == "conv_general_dilated" and len(operands) > 1:
        kernel = elements(operands[1][0])
        cost.flops = 2 * out * max(1, kernel // max(1, _out_features(node)))
    elif CATEGORY_OF.get(prim) == REDUCTION:
        cost.flops = sum(elements(s) for s, _ in operands[:1])
    elif CATEGORY_OF.get(prim) == ELEMENTWISE and prim not in FREE:
        cost.flops = out
    # roofline counts transcendentals as FLOPs, and some elementwise ops (add_any) as none
    if node.id in override and prim not in TRANSCENDENTALS and (override[node.id] > 0
                                                                 or cost.flops == 0):
        cost.flops, cost.rule = override[node.id], "roofline"
    cost.bytes_read = sum(port_bytes(s, d) for s, d in operands)
    cost.bytes_read += sum(ITEMSIZE.get(_literal_dtype(lit.text), 4) for lit in node.literals)
    cost.bytes_written = sum(port_bytes(p.shape, p.dtype) for p in node.outputs)
    return cost


def _nested_cost(node: Node, override: dict, costs: dict) -> EquationCost:
    bodies = [_graph_costs(sub, override, costs) for sub in node.subgraphs]
    cost = EquationCost(rule="body")
    if node.primitive == "cond":
        cost.add(max(bodies, key=lambda c: (c.flops + c.transcendentals, c.bytes)))
        cost.note = "cond: its most expensive branch"
    elif node.primitive == "while":
        for body in bodies:
            cost.add(body)
        cost.note = "while: trip count unknown, body counted once"
    else:
        times = _int_param(node, "length", 1) if node.primitive == "scan" else 1
        for body in bodies:
            cost.add(body, times)
        if times != 1:
            cost.note = f"scan: body × {times}"
    return cost


def _contracted(node: Node, operands: list) -> int:
    """The product of the lhs contracting dimensions of a dot_general."""
    try:
        (lhs_contract, _), _ = ast.literal_eval(node.params.get("dimension_numbers", ""))
    except (ValueError, SyntaxError, TypeError):
        return 1
    lhs = operands[0][0] if operands else []
    return math.prod(lhs[d] for d in lhs_contract if d < len(lhs) and isinstance(lhs[d], int))


def _out_features(node: Node) -> int:
    shape = node.outputs[0].shape if node.outputs else []
    return shape[1] if len(shape) > 1 and isinstance(shape[1], int) else 1


def _int_param(node: Node, name: str, default: int) -> int:
    try:
        return int(node.params.get(name, default))
    except ValueError:
        return default


def _literal_dtype(text: str) -> str:
    kind = text.rsplit(":", 1)[-1].split("[", 1)[0]
    return {"f32": "float32", "f64": "float64", "i32": "int32", "i64": "int64",
            "bool": "bool", "f16": "float16", "bf16": "bfloat16"}.get(kind, "float32")


def total(costs: dict[str, EquationCost], graph: Graph,
          keep: set[str] | None = None) -> EquationCost:
    """The stage's total: its top-level equations (nested costs are inside them); ``keep``
    limits it to some equations (those XLA kept, say)."""
    result = EquationCost()
    for node in graph.nodes:
        if node.kind == EQN and (keep is None or node.id in keep):
            result.add(costs[node.id])
    return result
