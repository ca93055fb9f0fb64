"""Live memory over a jaxpr in program order: what is alive while each equation runs.

A value is alive from the equation that makes it to the last equation that reads it; the
stage's inputs and constants are alive throughout (the caller holds them, as XLA's
``argument_size_in_bytes`` counts them), its outputs to the end. While an equation runs, its
operands and its results are alive together; an equation holding nested jaxprs (a scan body, a
cond branch) adds the peak of what its body makes, its inputs excepted, which are already
counted outside. XLA's ``memory_analysis()`` of the compiled program is the number to compare
with: fusion keeps most intermediates out of memory, buffer reuse shares the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.graph import CONST, EQN, INPUT, OUTPUT, Graph
from .cost import port_bytes

TOP_VALUES = 8  # the largest values listed at the peak


@dataclass
class Value:
    producer: str  # the node id that makes it
    port: int
    name: str
    type: str
    bytes: int
    made: int = -1  # index of the equation that makes it (-1: an input or constant)
    freed: int = -1  # index of its last reader (len(steps): read by the outputs)


@dataclass
class Step:
    node: str  # the equation's id
    live: int  # bytes alive while it runs (its nested peak included)
    after: int  # bytes alive once it is done
    nested: int = 0  # of ``live``: the peak inside its nested jaxprs


@dataclass
class Timeline:
    steps: list[Step]
    values: list[Value]
    resident: int  # inputs and constants: alive throughout

    @property
    def peak_index(self) -> int | None:
        if not self.steps:
            return None
        return max(range(len(self.steps)), key=lambda i: self.steps[i].live)

    def alive_at(self, index: int) -> list[Value]:
        """The values alive while step ``index`` runs, largest first."""
        alive = [v for v in self.values if v.made < 0 or v.made <= index <= v.freed]
        return sorted(alive, key=lambda v: -v.bytes)

    def alive_nodes(self, index: int) -> list[str]:
        """The nodes whose results are alive at a step (the step's own equation included)."""
        return sorted({v.producer for v in self.alive_at(index)} | {self.steps[index].node})


def timeline(graph: Graph) -> Timeline:
    """The live bytes while and after each top-level equation of ``graph``."""
    order = [n for n in graph.nodes if n.kind == EQN]
    values = _values(graph, {n.id: i for i, n in enumerate(order)}, len(order))
    resident = sum(v.bytes for v in values if v.made < 0)
    made_at: dict[int, int] = {}
    freed_after: dict[int, int] = {}
    for v in values:
        if v.made >= 0:
            made_at[v.made] = made_at.get(v.made, 0) + v.bytes
            end = max(v.freed, v.made)
            freed_after[end] = freed_after.get(end, 0) + v.bytes
    steps: list[Step] = []
    current = resident
    for index, node in enumerate(order):
        current += made_at.get(index, 0)
        inner = max((_nested_peak(sub) for sub in node.subgraphs), default=0)
        during = current + inner
        current -= freed_after.get(index, 0)
        steps.append(Step(node.id, during, current, inner))
    return Timeline(steps, values, resident)


def _values(graph: Graph, position: dict[str, int], end: int) -> list[Value]:
    """Every value with the step that makes it and the step that last reads it. A result
    nobody reads (JAX prints it as _) is alive only while its equation runs."""
    outputs = {n.id for n in graph.nodes if n.kind == OUTPUT}
    last: dict[tuple[str, int], int] = {}
    for edge in graph.edges:
        at = end if edge.dst in outputs else position.get(edge.dst, end)
        key = (edge.src, edge.src_port)
        last[key] = max(last.get(key, -1), at)
    values = []
    for node in graph.nodes:
        if node.kind not in (EQN, INPUT, CONST):
            continue
        made = position.get(node.id, -1) if node.kind == EQN else -1
        for port, out in enumerate(node.outputs):
            freed = last.get((node.id, port), made)
            values.append(Value(node.id, port, out.name, out.type,
                                port_bytes(out.shape, out.dtype), made, freed))
    return values


def _nested_peak(graph: Graph) -> int:
    """The most a nested jaxpr holds at once beyond its inputs (counted by the caller)."""
    inner = timeline(graph)
    peak = inner.peak_index
    return max(0, inner.steps[peak].live - inner.resident) if peak is not None else 0
