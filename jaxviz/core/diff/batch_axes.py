"""The batch axis of each variable of a ``vmap`` stage, found against the stage before.

``vmap`` adds one dimension, of the mapped size, to every value it batches, and JAX moves it
wherever a batching rule puts it: after ``vmap(f, in_axes=(None, 0))`` a dot may give
``f32[8,4]`` or ``f32[4,8]``. The jaxpr does not say which dimension it is; the stage before
does: a variable's shape there (``batch_evidence``: its equation's partner, or the operand it
stands for) is its shape here with the batch dimension taken out. So for each variable:

- *batched*: one dimension of the batch size, and removing it gives the shape before;
- *broadcast*: that dimension has size 1 (an unbatched operand lined up with batched ones);
- *unbatched*: the same shape as before;
- *ambiguous*: several dimensions fit (equal sizes side by side, ``f32[8,8]`` from
  ``f32[8]``): all are named, none is picked;
- *unknown*: nothing before stands for it, or the witnesses disagree.

A variable nothing before stands for (the ``select_n`` that replaces a batched ``cond``) takes
its axis through element-wise equations, whose results line up position by position with
their operands.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..ir.graph import EQN, INPUT, OUTPUT, Edge, Node, Stage
from .batch_evidence import (
    Var,
    Witness,
    declared_axes,
    operands,
    variables,
    witnesses,
)

BATCHED, BROADCAST, UNBATCHED, AMBIGUOUS, UNKNOWN = (
    "batched",
    "broadcast",
    "unbatched",
    "ambiguous",
    "unknown",
)
# results line up element by element with their (same-shaped) operands: an axis passes through
_ELEMENTWISE_NAMES = (
    "abs acos acosh add add_any and asin asinh atan atan2 atanh cbrt ceil clamp conj "
    "convert_element_type copy copy_p cos cosh digamma div eq erf erf_inv erfc exp exp2 expm1 "
    "floor ge gt igamma imag integer_pow is_finite le lgamma log log1p logistic lt max min mul "
    "ne neg nextafter not or pow real reduce_precision rem round rsqrt select_n sign sin sinh "
    "sqrt square stop_gradient sub tan tanh xor"
)
ELEMENTWISE = frozenset(_ELEMENTWISE_NAMES.split())

Choice = tuple[str, int | None]  # (BATCHED | BROADCAST | UNBATCHED, axis)


@dataclass
class BatchAxis:
    """Where one variable of a vmap stage keeps its batch."""

    node: str  # the node that defines it
    port: int  # its position among that node's results
    var: str  # its name in the jaxpr
    type: str  # its type, as JAX prints it
    kind: str  # BATCHED, BROADCAST, UNBATCHED, AMBIGUOUS or UNKNOWN
    axes: list[int] = field(default_factory=list)  # the axis; every one that fits if ambiguous
    before_type: str = ""  # its type in the stage before, where something there stands for it
    # how: "shapes" (against the stage before), ", in_axes" where that picked among them,
    # "through elementwise <primitive>" or ", narrowed by elementwise <primitive>"
    via: str = ""

    @property
    def axis(self) -> int | None:
        """The batch axis when there is exactly one (batched or broadcast)."""
        return self.axes[0] if self.kind in (BATCHED, BROADCAST) else None

    def text(self) -> str:
        """In words, for a tooltip: ``batch: axis 0 (was f32[4])``, and how it was found
        where the shapes alone did not say (``[through elementwise eq]``)."""
        how = "" if self.via in ("", "shapes") else f" [{self.via}]"
        return self._words() + how

    def _words(self) -> str:
        was = f" (was {self.before_type})" if self.before_type else ""
        if self.kind == BATCHED:
            return f"batch: axis {self.axes[0]}{was}"
        if self.kind == BROADCAST:
            return f"batch: axis {self.axes[0]}, size 1 (broadcast over the batch){was}"
        if self.kind == UNBATCHED:
            return "batch: none (the same for every example)"
        if self.kind == AMBIGUOUS:
            return f"batch: axis {' or '.join(map(str, self.axes))} (ambiguous: equal sizes){was}"
        return "batch: unknown (nothing in the stage before stands for it)"

    def marked_type(self) -> str:
        """The type with the batch dimension marked, ``f32[⟨8⟩,4]``; unmarked when none."""
        if self.kind not in (BATCHED, BROADCAST, AMBIGUOUS):
            return self.type
        return mark_dims(self.type, self.axes)

    def to_dict(self) -> dict:
        return {
            "node": self.node,
            "port": self.port,
            "var": self.var,
            "type": self.type,
            "kind": self.kind,
            "axes": list(self.axes),
            "before_type": self.before_type,
            "via": self.via,
            "marked": self.marked_type(),
        }


@dataclass
class BatchAxes:
    """The batch axis of every variable of a vmap stage."""

    before: str  # stage titles
    after: str
    size: int | None  # the mapped axis's size, as the inputs show it
    values: dict[Var, BatchAxis] = field(default_factory=dict)
    outputs: dict[str, Var] = field(default_factory=dict)  # output node → the variable it is

    def of(self, node: str, port: int = 0) -> BatchAxis | None:
        """The variable a node defines (an output node: the one it gives back)."""
        return self.values.get(self.outputs.get(node, (node, port)))

    def of_edge(self, edge: Edge) -> BatchAxis | None:
        return self.values.get((edge.src, edge.src_port))

    def counts(self) -> dict[str, int]:
        counts = Counter(v.kind for v in self.values.values())
        return {k: counts.get(k, 0) for k in (BATCHED, BROADCAST, UNBATCHED, AMBIGUOUS, UNKNOWN)}

    def to_dict(self) -> dict:
        return {
            "before": self.before,
            "after": self.after,
            "size": self.size,
            "counts": self.counts(),
            "values": [v.to_dict() for v in self.values.values()],
        }


def is_vmap_stage(stage: Stage) -> bool:
    return stage.is_jaxpr and stage.transform.split("(")[0].strip() == "vmap"


def made_by_vmap(stages: list[Stage], index: int) -> tuple[int, int] | None:
    """For a vmap stage, or a jit of one (``vmap | jit``: the same equations, wrapped), the
    indexes of the stage before the vmap and of the vmap stage; None for any other stage."""
    k = index
    while k > 0 and stages[k].is_jaxpr and stages[k].transform.split("(")[0].strip() == "jit":
        k -= 1
    if k > 0 and is_vmap_stage(stages[k]) and stages[index].is_jaxpr:
        return k - 1, k
    return None


def stage_batch_axes(stages: list[Stage], index: int) -> BatchAxes | None:
    """The batch axes of stage ``index`` of a pipeline, where a vmap made it (see
    ``made_by_vmap``): what the app, the command line and the API show."""
    found = made_by_vmap(stages, index)
    if found is None:
        return None
    return batch_axes(stages[found[0]], stages[index], stages[found[1]].transform)


def batch_axes(before: Stage, after: Stage, transform: str | None = None) -> BatchAxes:
    """The batch axis of each variable of ``after`` (a vmap of ``before``, or a jit of that
    vmap: ``transform`` is then the vmap's, for its in_axes and out_axes)."""
    found = witnesses(before, after)
    size = batch_size(after, found)
    result = BatchAxes(before.title, after.title, size)
    choices: dict[Var, set[Choice] | None] = {}
    into = operands(after.graph)
    for var, node, k in variables(after.graph):
        seen = found.get(var, [])
        choices[var] = _agreed(node.outputs[k].shape, seen, size) if seen else None
        before_type = seen[0].type if seen else ""
        result.values[var] = BatchAxis(
            node.id,
            k,
            node.outputs[k].name,
            node.outputs[k].type,
            UNKNOWN,
            [],
            before_type,
            "shapes" if seen else "",
        )
    result.outputs = {
        n.id: into[n.id][0]
        for n in after.graph.walk_nodes()
        if n.kind == OUTPUT and 0 in into.get(n.id, {})
    }
    _declared(after, transform or after.transform, choices, result)
    _through_elementwise(after, choices, into, result)
    for var, choice in choices.items():
        _settle(result.values[var], choice)
    return result


def fits(after: list, before: list, size: int | None) -> set[Choice]:
    """The ways ``after`` can be ``before`` with a batch dimension of ``size`` inserted (or a
    broadcast one of size 1, or none at all)."""
    if len(after) == len(before):
        return {(UNBATCHED, None)} if list(after) == list(before) else set()
    if len(after) > len(before) + 1:
        return _promoted(list(after), list(before), size)
    if len(after) != len(before) + 1:
        return set()
    axes = [i for i in range(len(after)) if list(after[:i]) + list(after[i + 1 :]) == list(before)]
    batched = {(BATCHED, i) for i in axes if size is None or after[i] == size}
    return batched or {(BROADCAST, i) for i in axes if after[i] == 1}


def _promoted(after: list, before: list, size: int | None) -> set[Choice]:
    """A batched value lined up for an element-wise equation with size-1 dimensions besides
    its batch: the batched scalar of ``mul x s`` becomes ``f32[⟨8⟩,1]`` against ``f32[8,4]``.
    Only the batch dimension counts here; the others differ from before by 1s alone."""

    def bare(shape: list) -> list:
        return [d for d in shape if d != 1]

    return {
        (BATCHED, i)
        for i in range(len(after))
        if size is not None
        and size != 1
        and after[i] == size
        and bare(after[:i] + after[i + 1 :]) == bare(before)
    }


def batch_size(after: Stage, found: dict[Var, list[Witness]]) -> int | None:
    """The mapped size: the inserted dimension of the stage's batched inputs (vmap maps every
    batched argument over one size, so they agree)."""
    sizes: Counter = Counter()
    for node in after.graph.nodes:
        for w in found.get((node.id, 0), []) if node.kind == INPUT else []:
            shape = node.outputs[0].shape
            sizes.update({shape[i] for _, i in fits(shape, w.shape, None) if i is not None})
    return sizes.most_common(1)[0][0] if sizes else None


def _agreed(shape: list, seen: list[Witness], size: int | None) -> set[Choice]:
    """What every witness allows (empty: they disagree, or none fits)."""
    allowed = fits(shape, seen[0].shape, size)
    for w in seen[1:]:
        allowed &= fits(shape, w.shape, size)
    return allowed


def _declared(after: Stage, transform: str, choices: dict, result: BatchAxes) -> None:
    """Where the shapes leave a stage input or output ambiguous, the axis its ``in_axes`` or
    ``out_axes`` declares picks among them (never against them)."""
    ins, outs = declared_axes(transform, after.graph)
    for said, where in ((ins, "in_axes"), (outs, "out_axes")):
        for nid, axis in said.items():
            var = result.outputs.get(nid, (nid, 0))
            wanted = (UNBATCHED, None) if axis is None else (BATCHED, axis)
            if len(choices.get(var) or ()) > 1 and wanted in choices[var]:
                choices[var] = {wanted}
                result.values[var].via += f", {where}"


def _through_elementwise(
    after: Stage, choices: dict, into: dict[str, dict[int, Var]], result: BatchAxes
) -> None:
    """An element-wise equation's result and its same-shaped operands share one batch axis
    (an unbatched operand has one dimension fewer, a broadcast one a dimension of 1, so neither
    is among them): what one allows, all allow. A variable no witness reached takes it; an
    ambiguous one is narrowed by it; one whose witnesses disagreed is left as it is."""
    shape = {var: node.outputs[k].shape for var, node, k in variables(after.graph)}
    joins = [
        (
            node,
            [(node.id, 0)]
            + [v for v in into.get(node.id, {}).values() if shape[v] == node.outputs[0].shape],
        )
        for node in after.graph.walk_nodes()
        if node.kind == EQN and node.primitive in ELEMENTWISE and len(node.outputs) == 1
    ]
    changed = True
    while changed:
        changed = False
        for node, group in joins:
            known = [choices[v] for v in group if choices.get(v)]
            shared = set.intersection(*known) if known else set()
            for v in group if shared else ():
                if choices.get(v, 0) is None or (choices[v] and shared < choices[v]):
                    via = result.values[v].via
                    result.values[v].via = f"{via}, narrowed by" if via else "through"
                    result.values[v].via += f" elementwise {node.primitive}"
                    choices[v] = set(shared)
                    changed = True


def _settle(value: BatchAxis, choice: set[Choice] | None) -> None:
    """The kind and axes of a variable from what is left of its choices."""
    if not choice:
        value.kind, value.axes = UNKNOWN, []
        return
    kinds = {k for k, _ in choice}
    axes = sorted(a for _, a in choice if a is not None)
    if len(choice) == 1:
        value.kind, value.axes = kinds.pop(), axes
    else:
        value.kind, value.axes = AMBIGUOUS, axes


def mark_dims(type_text: str, axes: list[int]) -> str:
    """``f32[8,4]`` with dimensions ``axes`` in angle brackets: ``f32[⟨8⟩,4]``."""
    start = type_text.find("[")
    end = type_text.find("]", start)
    if start < 0 or end < 0:
        return type_text
    dims = type_text[start + 1 : end].split(",")
    if not all(0 <= a < len(dims) for a in axes) or dims == [""]:
        return type_text
    marked = [f"⟨{d}⟩" if i in axes else d for i, d in enumerate(dims)]
    return type_text[: start + 1] + ",".join(marked) + type_text[end:]


def node_batch_lines(node: Node, axes: BatchAxes) -> list[str]:
    """One line per result of a node, ``b: f32[⟨8⟩,4]  batch: axis 0 (was f32[4])``."""
    lines = []
    for k, port in enumerate(node.outputs):
        value = axes.of(node.id, k)
        if value is not None:
            lines.append(f"{port.name}: {value.marked_type()}  {value.text()}")
    return lines


def listing(result: BatchAxes) -> list[str]:
    """The batch axes as text lines, one per variable: what ``jaxviz trace --batch-axes``
    prints under a vmap stage (JAX's own text stays above it, untouched)."""
    counts = ", ".join(f"{n} {kind}" for kind, n in result.counts().items() if n)
    lines = [f"batch axes of {result.after} against {result.before} (size {result.size}): {counts}"]
    width = max((len(v.marked_type()) for v in result.values.values()), default=0)
    for v in result.values.values():
        where = f"  [{v.node}]" if "/" in v.node else ""
        lines.append(f"  {v.var:>4} {v.marked_type():<{width}}  {v.text()}{where}")
    return lines


def with_batch_axes(tips: dict[str, str], model, axes: BatchAxes) -> dict[str, str]:
    """The tooltips of a vmap stage with each node's results' batch axes added below
    (``b: f32[⟨8⟩,4]  batch: axis 0 (was f32[4])``); the lines above, JAX's text, unchanged."""
    out = dict(tips)
    for nid, tip in tips.items():
        node = model.nodes.get(nid)
        lines = node_batch_lines(node, axes) if node is not None else []
        if lines:
            out[nid] = "\n".join([tip, *lines])
    return out
