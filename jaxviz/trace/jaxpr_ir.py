"""jaxpr → graph IR, in two steps: the graph first, JAX's text after.

It reads equations, variables and literals through ``jax.extend.core`` and finds nested jaxprs
generically. ``unprinted_stage`` builds the graph with the names JAX's printer would give the
variables (``jaxpr_names``, without printing: the printer costs half the trace at 20,000
equations), which is all a picture needs; ``add_text`` then prints the jaxpr, checks those
names against the printer's own (building again with them should one differ) and places each
equation on its line (``jaxpr_lines``). The app draws its first view in between; the CLI's
picture exports never print. Together with those two modules and ``jaxpr_values`` (params as
text), the only code that touches jaxpr internals (``jax._src``, each use with a fallback).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jax.extend import core as jcore

from jaxviz.core.ir.graph import (
    CONST,
    EQN,
    INPUT,
    OUTPUT,
    Edge,
    Graph,
    LiteralOperand,
    Node,
    Port,
    Stage,
    gc_paused,
)
from jaxviz.core.ir.labels import full_params, short_params
from jaxviz.trace.jaxpr_facts import (
    dead_equations,
    eqn_location,
    printed_count,
    side_effects,
    stack_parts,
)
from jaxviz.trace.jaxpr_lines import EQN_END, LEAVE, jaxpr_text_and_names, place_lines
from jaxviz.trace.jaxpr_names import ApartNames, printer_names
from jaxviz.trace.jaxpr_values import (
    ParamTexts,
    literal_printed,
    literal_text,
    param_text,
    type_text,
)
from jaxviz.trace.jaxpr_walk import param_jaxprs, printed_apart

_LITERAL = jcore.Literal

# For a few primitives a nested jaxpr takes a non-contiguous slice of the operands. Everything
# else is wired generically: all operands when the counts match, else the last ones.
_INPUT_SLICES: dict[tuple[str, str], Callable[[dict, int], list[int]]] = {
    ("while", "cond_jaxpr"): lambda p, m: (
        list(range(p["cond_nconsts"]))
        + list(range(p["cond_nconsts"] + p["body_nconsts"], m))),
}

class _Builder:
    """Walks one closed jaxpr, giving each node its names and source location, and keeping the
    walk (``walk``) that ``jaxpr_lines.place_lines`` replays to add JAX's text after."""

    def __init__(self, closed, user_file: str, names: dict | None = None):
        found = printer_names(closed) if names is None else None
        self.names = names if names is not None else found.names if found else {}
        self.named = found is not None  # a printer's table: the next free name when looked up
        self.user_file = user_file
        self.walk: list = []  # equation nodes, ids of jaxprs entered, LEAVE marks
        self.outer_transforms: list[str] = []  # of the equations around the jaxpr being read
        self.ports: dict = {}
        self.avals: dict = {}
        self.frames: dict = {}  # what eqn_location learnt of each frame
        self.unfilled: list = []  # (node, ParamTexts) whose params are not all text yet
        self._fallback = 0

    def name(self, var) -> str:
        if isinstance(var, jcore.DropVar):
            return "_"
        if self.named:
            return self.names[var]
        if var not in self.names:  # printer unavailable: our own names, stable per run
            self.names[var] = f"v{self._fallback}"
            self._fallback += 1
        return self.names[var]

    def port(self, var) -> Port:
        """The variable's name and type (computed once per variable)."""
        cached = self.ports.get(var)
        if cached is not None:
            return cached
        self.ports[var] = port = self._new_port(var)
        return port

    def _new_port(self, var) -> Port:
        type_text, shape, dtype = self._aval_text(var.aval)
        return Port(self.name(var), type_text, list(shape), dtype)

    def _aval_text(self, aval) -> tuple[str, tuple, str]:
        """Type text, shape and dtype of an abstract value (many variables share one)."""
        try:
            cached = self.avals.get(aval)
        except TypeError:  # an unhashable aval
            cached = None
        if cached is None:
            shape = tuple(d if isinstance(d, int) else str(d) for d in getattr(aval, "shape", ()))
            cached = (type_text(aval), shape, str(getattr(aval, "dtype", "")))
            with contextlib.suppress(TypeError):
                self.avals[aval] = cached
        return cached

    def graph(self, jaxpr, gid: str, kind: str, name: str) -> Graph:
        self.walk.append(id(jaxpr))
        try:
            return self._graph(jaxpr, gid, kind, name)
        finally:
            self.walk.append(LEAVE)

    def _graph(self, jaxpr, gid: str, kind: str, name: str) -> Graph:
        graph = Graph(id=gid, kind=kind, name=name)
        prefix = f"{gid}/" if gid else ""
        producers: dict[Any, tuple[str, int, Port]] = {}  # var → (node, result, port)
        for i, var in enumerate(jaxpr.constvars):
            self._source_node(graph, f"{prefix}c{i}", CONST, var, producers)
        for i, var in enumerate(jaxpr.invars):
            self._source_node(graph, f"{prefix}in{i}", INPUT, var, producers)
        dead = dead_equations(jaxpr)
        for k, eqn in enumerate(jaxpr.eqns):
            self._eqn_node(graph, f"{prefix}e{k}", eqn, producers)
            graph.nodes[-1].unused = k in dead
        for i, atom in enumerate(jaxpr.outvars):
            self._output_node(graph, f"{prefix}out{i}", atom, producers)
        return graph

    def _source_node(self, graph, node_id, kind, var, producers) -> None:
        port = self.port(var)
        graph.nodes.append(Node(id=node_id, kind=kind, label=port.name, outputs=[port]))
        producers[var] = (node_id, 0, port)

    def _eqn_node(self, graph: Graph, node_id: str, eqn, producers) -> None:
        prim = eqn.primitive.name
        nested = param_jaxprs(eqn.params) or None
        node = Node(id=node_id, kind=EQN, label=prim, primitive=prim,
                    outputs=[self.port(v) for v in eqn.outvars], arity=len(eqn.invars),
                    name_stack=str(eqn.source_info.name_stack))
        self._params(node, eqn.params, nested)
        if eqn.effects:
            node.effects = side_effects(eqn.effects)
        node.scopes, own = stack_parts(eqn.source_info.name_stack)
        node.transforms = self.outer_transforms + own
        (node.line, node.column, node.end_column, node.user_frames,
         node.user_lines, node.library_call) = eqn_location(eqn, self.user_file, self.frames)
        self.walk.append(node)  # its text line is found in this order (before its subgraphs')
        self._wire_operands(graph, node, eqn, producers)
        if nested is not None:
            saved, self.outer_transforms = self.outer_transforms, node.transforms
            try:
                node.subgraphs = self._subgraphs(node_id, eqn, nested)
            finally:
                self.outer_transforms = saved
                self.walk.append(EQN_END)
        graph.nodes.append(node)
        for i, (var, port) in enumerate(zip(eqn.outvars, node.outputs)):
            producers[var] = (node_id, i, port)

    def _params(self, node: Node, params: dict, nested: dict | None) -> None:
        """The params' text: all of it for an equation holding a jaxpr; for the others only
        what the label shows, the rest when the text is printed (``fill_params``)."""
        if nested is None:
            texts = ParamTexts(params)
            node.params_short = short_params(node.primitive, texts)
            self.unfilled.append((node, texts))
            return
        node.params = {k: param_text(v, nested.get(k, ())) for k, v in params.items()}
        node.params_short = short_params(node.primitive, node.params)
        node.params_full = full_params(node.params)

    def fill_params(self) -> None:
        """Every param's text on the equations whose labels needed only some."""
        for node, texts in self.unfilled:
            node.params = texts.all()
            node.params_full = full_params(node.params)
        self.unfilled = []

    def _wire_operands(self, graph, node, eqn, producers) -> None:
        edges, dst = graph.edges, node.id
        for pos, atom in enumerate(eqn.invars):
            if type(atom) is _LITERAL:  # unhashable: never a key of ``producers``
                short, printed = literal_text(atom), literal_printed(atom)
                node.literals.append(LiteralOperand(pos, short, "" if printed == short
                                                    else printed))
                continue
            found = producers.get(atom)
            if found is not None:
                src, src_port, port = found
                edges.append(Edge(src, dst, port.name, src_port, pos, port.type, port.shape,
                                  port.dtype))

    def _output_node(self, graph, node_id, atom, producers) -> None:
        if isinstance(atom, jcore.Literal):
            graph.nodes.append(Node(id=node_id, kind=OUTPUT, label=literal_text(atom)))
            return
        port = self.port(atom)
        graph.nodes.append(Node(id=node_id, kind=OUTPUT, label=port.name, outputs=[port]))
        if atom in producers:
            src, src_port, _ = producers[atom]
            graph.edges.append(Edge(src, node_id, port.name, src_port, 0, port.type,
                                    port.shape, port.dtype))

    def _subgraphs(self, node_id: str, eqn, nested: dict[str, list]) -> list[Graph]:
        """The nested jaxprs, numbered in the params' order, read in the order JAX prints
        them (params sorted by name), so that the text cursor meets them in turn."""
        found = [(pname, j, len(subs), sub) for pname, subs in nested.items()
                 for j, sub in enumerate(subs)]
        graphs: list[Graph | None] = [None] * len(found)
        for k, (pname, j, many, sub) in sorted(enumerate(found), key=lambda kv: kv[1][0]):
            label = f"{pname}[{j}]" if many > 1 else pname
            if eqn.primitive.name in ("jit", "pjit") and "name" in eqn.params:
                label = str(eqn.params["name"])
            if printed_apart(eqn.params[pname]):
                graph = self._graph_named_apart(sub, f"{node_id}/g{k}", eqn.primitive.name,
                                                label)
            else:
                graph = self.graph(sub, f"{node_id}/g{k}", eqn.primitive.name, label)
            graph.input_ports = _input_ports(eqn, pname, len(sub.invars))
            graph.output_ports = _output_ports(len(eqn.outvars), len(sub.outvars))
            graphs[k] = graph
        return graphs


    def _graph_named_apart(self, jaxpr, gid: str, kind: str, name: str) -> Graph:
        """A nested jaxpr that JAX prints with a naming context of its own: its variables
        named as that context names them, so that its equations find their lines (those
        the outer context printed already, in a shared ``let`` jaxpr, keep their names)."""
        own = printer_names(jaxpr)
        if own is None:
            return self.graph(jaxpr, gid, kind, name)
        saved = self.names, self.named
        self.names, self.named = ApartNames(self.names, own.names), True
        try:
            return self.graph(jaxpr, gid, kind, name)
        finally:
            self.names, self.named = saved


def _input_ports(eqn, pname: str, n_inputs: int) -> list[int | None]:
    m = len(eqn.invars)
    rule = _INPUT_SLICES.get((eqn.primitive.name, pname))
    if rule is not None:
        try:
            ports = rule(eqn.params, m)
            if len(ports) == n_inputs:
                return list(ports)
        except (KeyError, TypeError):
            pass
    if n_inputs <= m:
        return list(range(m - n_inputs, m))
    return [None] * n_inputs


def _output_ports(n_parent: int, n_child: int) -> list[int | None]:
    return list(range(n_child)) if n_parent == n_child else [None] * n_child


def _name_arguments(graph: Graph, jaxpr) -> None:
    """Give the stage's inputs and outputs their Python names: ``x``, ``params[0]['w']``."""
    info = getattr(jaxpr, "debug_info", None)
    arg_names = list(getattr(info, "arg_names", None) or [])
    result_paths = list(getattr(info, "result_paths", None) or [])
    for kind, names in ((INPUT, arg_names), (OUTPUT, result_paths)):
        nodes = [n for n in graph.nodes if n.kind == kind]
        if len(names) == len(nodes):
            for node, name in zip(nodes, names):
                node.display_name = str(name or "")


@dataclass
class Unprinted:
    """A stage built without JAX's text, and what ``add_text`` needs to print it after."""

    stage: Stage
    closed: Any
    user_file: str
    builder: _Builder


def stage_from_closed_jaxpr(closed, index: int, title: str, user_file: str,
                            transform: str = "") -> Stage:
    """The Stage (text, equation count, graph IR) of one traced jaxpr."""
    unprinted = unprinted_stage(closed, index, title, user_file, transform)
    add_text(unprinted)
    return unprinted.stage


def unprinted_stage(closed, index: int, title: str, user_file: str, transform: str = ""
                    ) -> Unprinted:
    """The Stage with its graph IR, names as JAX prints them, but no text yet: what a
    picture needs (the text costs half as much as the trace again at 20,000 equations)."""
    builder, graph = _build(closed, user_file, title)
    stage = Stage(index=index, title=title, jaxpr="", equations=graph.equation_count(),
                  graph=graph, transform=transform, printed_equations=printed_count(closed.jaxpr))
    return Unprinted(stage, closed, user_file, builder)


def add_text(unprinted: Unprinted) -> bool:
    """Print the stage's jaxpr into it and place each equation on its line. Returns whether
    the graph had to be built again: JAX's printer named a variable otherwise than
    ``jaxpr_names`` found (never seen; a JAX whose printer changed), and its names win."""
    stage, closed = unprinted.stage, unprinted.closed
    text, printed, context = jaxpr_text_and_names(closed)
    builder = unprinted.builder
    renamed = _names_differ(builder.ports, printed)
    if renamed:
        loops = stage.graph.loop_spans
        builder, stage.graph = _build(closed, unprinted.user_file, stage.title, printed)
        stage.graph.loop_spans = loops
        unprinted.builder = builder
    builder.fill_params()
    place_lines(builder.walk, text, context)
    stage.jaxpr = text
    return renamed


def _build(closed, user_file: str, title: str, names: dict | None = None
           ) -> tuple[_Builder, Graph]:
    with gc_paused():
        builder = _Builder(closed, user_file, names)
        graph = builder.graph(closed.jaxpr, "", "jaxpr", title)
    _name_arguments(graph, closed.jaxpr)
    return builder, graph


def _names_check_jaxpr():
    """A small jaxpr with each way names can go: a function jitted and called twice (a
    shared `let` jaxpr, its name and a printing rule of its own), a scan with a long body
    (pulled to the top too), a custom_jvp (softmax), a result nobody uses (printed `_`)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    @jax.jit
    def inner(x):
        return jnp.sin(x) * 2.0

    def body(c, v):
        return (c * 0.5 + jnp.sin(v) * jnp.cos(c) + jnp.exp(v) - jnp.log1p(c * c)
                + jnp.tanh(c) / (1.0 + v * v), c)

    def f(x):
        _ = jnp.cos(x) * 3.0
        c, ys = lax.scan(body, x.sum(), x)
        return inner(x) + inner(x * 2.0) + jax.nn.softmax(x) + c + ys

    return jax.make_jaxpr(f)(jnp.ones(3))


@functools.cache
def names_hold() -> bool:
    """Whether this JAX's printer names variables as ``jaxpr_names`` finds them, on the check
    jaxpr above (once per process). A picture written without printing (``jaxviz export``
    of a big stage) relies on it; where it fails, the export prints and takes the
    printer's names (the app checks every stage anyway: ``add_text``)."""
    try:
        closed = _names_check_jaxpr()
        _, printed, _ = jaxpr_text_and_names(closed)
        ports = unprinted_stage(closed, 0, "check", "<check>").builder.ports
    except Exception:  # noqa: BLE001 - a JAX this check cannot run on: print, to be sure
        return False
    return bool(printed) and not _names_differ(ports, printed)


def _names_differ(ports: dict, printed: dict) -> bool:
    """Whether a variable's port has another name than the printer gave it."""
    return any(printed.get(var, port.name) != port.name for var, port in ports.items())
