"""The graph IR: plain, JSON-serialisable, versioned data describing one stage's jaxpr.

The worker builds it from a jaxpr (``jaxviz.trace.jaxpr_ir``); everything downstream (graph
model, layout, diff, export, the app) reads only this. Nested jaxprs are child ``Graph``s of the
equation that holds them, with ``input_ports``/``output_ports`` saying which operand or result of
the parent equation each child input or output stands for.

Node ids are paths: ``e3`` is top-level equation 3, ``e3/g1/e0`` is equation 0 of the second
nested jaxpr of equation 3; ``in0``, ``c0`` and ``out0`` are inputs, constants and outputs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import re
import threading
from dataclasses import dataclass, field
from typing import Any

IR_VERSION = 5  # 2: scopes and transforms on equations; 3: unused equations, stage notes;
# 4: lowered and compiled stages (dialect, fusion map, XLA's cost and memory), equation costs;
# 5: each equation's library call

EQN, INPUT, CONST, OUTPUT = "eqn", "input", "const", "output"


@dataclass
class Port:
    """A variable a node defines: its jaxpr name and its type."""

    name: str  # the name JAX prints for it ("_" when the result is dropped)
    type: str  # short type text as JAX prints it, e.g. "f32[8,3]"
    shape: list[Any] = field(default_factory=list)  # ints, or text for symbolic dimensions
    dtype: str = ""  # e.g. "float32", "key<fry>"


@dataclass
class LiteralOperand:
    """A constant written inline as an operand (``mul 2.0:f32[] a``): shown inside its consumer."""

    position: int  # operand index in the equation
    text: str  # e.g. "0.1:f32[]": the shortest form for its dtype, for labels
    printed: str = ""  # as JAX prints it ("0.10000000149011612:f32[]"), where that differs

    @property
    def jax_text(self) -> str:
        return self.printed or self.text


@dataclass
class Node:
    """An equation, an input, a constant or an output of a (possibly nested) jaxpr."""

    id: str
    kind: str  # EQN, INPUT, CONST or OUTPUT
    label: str  # primitive name for equations; variable name for the others
    display_name: str = ""  # for a stage's inputs and outputs: the Python argument or result path
    primitive: str = ""
    params: dict[str, str] = field(default_factory=dict)  # each param's full text
    params_short: str = ""  # the params that matter, for a label: "y=3"
    params_full: str = ""  # all params as one text, for details and tooltips
    outputs: list[Port] = field(default_factory=list)
    literals: list[LiteralOperand] = field(default_factory=list)
    arity: int = 0  # number of operands, literal ones included
    line: int | None = None  # 1-based line in the user's source
    column: int | None = None  # 0-based column in the user's source
    end_column: int | None = None  # where the expression ends (a + b + c: each + its own end)
    name_stack: str = ""  # JAX's text, relative to the enclosing equation: "transpose(jvp(a))"
    scopes: list[str] = field(default_factory=list)  # named scopes, verbatim ("a/b" is one)
    # transforms that made the equation, outermost first, those of the enclosing equations
    # included: JAX's name stack inside a nested jaxpr is relative, the direction is not
    transforms: list[str] = field(default_factory=list)
    user_frames: list[str] = field(default_factory=list)  # user functions, outermost first
    user_lines: list[int] = field(default_factory=list)  # the line each of them is at
    # the call into a library that made it, as the user wrote the callee at the innermost
    # user frame ("optax.softmax_cross_entropy_with_integer_labels", "tx.update", "nn.Dense")
    library_call: str = ""
    text: str = ""  # the equation as one line of jaxpr text
    text_line: int | None = None  # 0-based line of the stage's jaxpr text where it is printed
    # nothing uses its results, even through other equations, and it has no effect: JAX
    # prints dropped results as _, and jit removes such equations (dead code)
    unused: bool = False
    effects: list[str] = field(default_factory=list)  # e.g. ["DebugEffect"]: kept by jit
    subgraphs: list[Graph] = field(default_factory=list)


@dataclass
class Edge:
    """A variable flowing from the node that defines it to one operand of a node that uses it."""

    src: str
    dst: str
    var: str
    src_port: int  # index among the producer's outputs
    dst_port: int  # operand position in the consumer
    type: str = ""
    shape: list[Any] = field(default_factory=list)
    dtype: str = ""


@dataclass
class Graph:
    """One jaxpr: the top-level one of a stage, or a nested one inside an equation."""

    id: str = ""  # "" for a stage's top-level jaxpr, else "<parent node id>/g<k>"
    kind: str = "jaxpr"  # for nested graphs the parent's primitive, e.g. "cond", "jit"
    name: str = ""  # e.g. "branches[1]", "body_jaxpr", or jit's function name
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    input_ports: list[int | None] = field(default_factory=list)  # parent operand per input
    output_ports: list[int | None] = field(default_factory=list)  # parent result per output
    # on a stage's top graph: the user file's lines inside a loop statement (for, while, a
    # comprehension), as [first, last] spans; None when unknown. Iteration groups need one.
    loop_spans: list[list[int]] | None = None

    def equation_count(self) -> int:
        """Equations here and in every nested jaxpr."""
        return sum(1 + sum(g.equation_count() for g in n.subgraphs)
                   for n in self.nodes if n.kind == EQN)

    def walk_nodes(self):
        """Every node, depth first, nested graphs included."""
        for node in self.nodes:
            yield node
            for sub in node.subgraphs:
                yield from sub.walk_nodes()

    def walk_graphs(self):
        """This graph and every nested one, depth first."""
        yield self
        for node in self.nodes:
            for sub in node.subgraphs:
                yield from sub.walk_graphs()


@dataclass
class Stage:
    """One stage of a pipeline: ``f``, ``grad(f)``, ``vmap(grad(f))``, ..."""

    index: int
    title: str
    jaxpr: str  # identical to str(jax.make_jaxpr(stage_fn)(*stage_args))
    equations: int  # including those in nested jaxprs, a jaxpr used N times counted N times
    graph: Graph
    transform: str = ""  # the transform that made this stage from the previous one ("" for f)
    timings: dict[str, float] = field(default_factory=dict)  # seconds, by step
    # equations in the text: JAX prints a jaxpr that several equations share once (`let g =`)
    printed_equations: int | None = None
    # what the trace did that a pure function would not: {"kind": "constant" | "print" |
    # "global" | "effect", "message", "line", "hint"} (trace/purity.py)
    notes: list[dict] = field(default_factory=list)
    dialect: str = "jaxpr"  # "jaxpr", "stablehlo" (a lower stage) or "hlo" (a compile stage)
    source_stage: int | None = None  # lower/compile: the jaxpr stage they were made from
    # compile stage: equation id of the source stage → fusion_map.Placement as a dict
    fusions: dict[str, dict] = field(default_factory=dict)
    # JAX's and XLA's own figures, to compare ours with: on a compile stage "cost"
    # (cost_analysis), "memory" (memory_analysis), "platform", "map_via", "map_summary"; on a
    # stage a grad made (or its jit), "residuals": JAX's saved_residuals as [type, text]
    reference: dict = field(default_factory=dict)
    # a jaxpr stage that was compiled: equation id → cost.EquationCost as a dict
    costs: dict[str, dict] = field(default_factory=dict)

    @property
    def is_jaxpr(self) -> bool:
        return self.dialect == "jaxpr"

    def count_text(self) -> str:
        """``21 equations`` or, where shared jaxprs make the two differ, ``21 equations, 13
        printed``."""
        if not self.is_jaxpr:
            return f"{self.equations} instructions"
        printed = self.printed_equations
        extra = f", {printed} printed" if printed is not None and printed != self.equations \
            else ""
        return f"{self.equations} equations{extra}"


def to_dict(obj: Any) -> dict:
    """Plain dict of an IR object, tagged with the IR version when it is a Stage.

    Written out by hand: ``dataclasses.asdict`` deep-copies every field and took 1.3 s on a
    26,000-equation stage, this takes a fraction of that. Lists are shared, not copied.
    """
    with gc_paused():
        return _to_dict(obj)


def _to_dict(obj: Any) -> dict:
    if isinstance(obj, Stage):
        data = dict(obj.__dict__)
        data["graph"] = _graph_dict(obj.graph)
        data["timings"] = dict(obj.timings)
        data["ir_version"] = IR_VERSION
        return data
    if isinstance(obj, Graph):
        return _graph_dict(obj)
    if isinstance(obj, Node):
        return _node_dict(obj)
    return dataclasses.asdict(obj)


def _graph_dict(graph: Graph) -> dict:
    data = dict(graph.__dict__)
    data["nodes"] = [_node_dict(n) for n in graph.nodes]
    data["edges"] = [dict(e.__dict__) for e in graph.edges]
    return data


def _node_dict(node: Node) -> dict:
    data = dict(node.__dict__)
    data["outputs"] = [dict(p.__dict__) for p in node.outputs]
    data["literals"] = [{k: v for k, v in lit.__dict__.items() if v != "" or k == "text"}
                        for lit in node.literals]
    data["subgraphs"] = [_graph_dict(g) for g in node.subgraphs]
    return data


def graph_from_dict(data: dict) -> Graph:
    """Rebuild a Graph from ``to_dict`` output."""
    nodes = [_node_from_dict(n) for n in data.get("nodes", [])]
    edges = [Edge(**e) for e in data.get("edges", [])]
    fields = {k: v for k, v in data.items() if k not in ("nodes", "edges")}
    return Graph(nodes=nodes, edges=edges, **fields)


def _node_from_dict(data: dict) -> Node:
    data = dict(data)
    data["outputs"] = [Port(**p) for p in data.get("outputs", [])]
    data["literals"] = [LiteralOperand(**lit) for lit in data.get("literals", [])]
    data["subgraphs"] = [graph_from_dict(g) for g in data.get("subgraphs", [])]
    return Node(**data)


_TRANSFORM_WRAPPER = re.compile(r"(\w+)\(([^()]*)\)")


def _parsed_stack(name_stack: str) -> tuple[list[str], list[str]]:
    """Scopes and transforms read back from a name stack's text (IR of version 1)."""
    text, transforms, previous = name_stack, [], None
    while text != previous:
        previous = text
        text = _TRANSFORM_WRAPPER.sub(lambda m: transforms.append(m.group(1)) or m.group(2),
                                      text, count=1)
    return [part for part in text.split("/") if part], transforms[::-1]  # read inside out


def scopes_of(node: Node) -> list[str]:
    """The equation's named scopes, outermost first, each exactly as the user named it."""
    if node.scopes or node.transforms or not node.name_stack:
        return node.scopes
    return _parsed_stack(node.name_stack)[0]


def transforms_of(node: Node) -> list[str]:
    """The transforms (``jvp``, ``transpose``, ``vmap``, ...) the equation was made under."""
    if node.scopes or node.transforms or not node.name_stack:
        return node.transforms
    return _parsed_stack(node.name_stack)[1]


@contextlib.contextmanager
def gc_paused():
    """Building a graph of 100,000 small objects triggers Python's full garbage collections
    over and over (each one walking every object made so far): 0.6 s of a 26,000-equation
    stage's rebuild. Nothing built here is cyclic garbage, so collection waits until the end."""
    enabled = gc.isenabled()
    gc.disable()
    with _pauses_lock:
        _pauses[0] += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses[0] -= 1
        if enabled:
            gc.enable()


_pauses = [0]  # gc_paused blocks running now, on any thread
_pauses_lock = threading.Lock()


def collection_paused() -> bool:
    """Whether some thread is building a big graph under ``gc_paused`` right now (the
    window's own collector, ``ui/gc_guard.py``, waits for it too)."""
    return _pauses[0] > 0


def stage_from_dict(data: dict) -> Stage:
    """Rebuild a Stage; refuses data written by a newer IR version."""
    with gc_paused():
        return _stage_from_dict(data)


def _stage_from_dict(data: dict) -> Stage:
    version = data.get("ir_version", IR_VERSION)
    if version > IR_VERSION:
        raise ValueError(f"graph IR version {version} is newer than this jaxviz ({IR_VERSION})")
    fields = {k: v for k, v in data.items() if k not in ("graph", "ir_version")}
    return Stage(graph=graph_from_dict(data["graph"]), **fields)
