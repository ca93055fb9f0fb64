"""Run a stage on values, equation by equation, and keep what each result held.

The stage's closed jaxpr is evaluated as ``jax.core.eval_jaxpr`` does (each equation's
primitive bound to its inputs), with these differences:

- every equation's results are summarised (``core.value_stats``), keyed by the graph's own
  node id (``e3/g0/e1``), so that the window, the CLI and the API point at the same node;
- nested jaxprs are evaluated inside: ``jit``, ``custom_jvp``/``custom_vjp`` calls and
  ``remat`` (the function that ran, its equations each recorded), ``cond`` (the branch that
  ran), ``scan`` and ``while`` (each iteration, with statistics per iteration and over all);
- arrays are dropped once no later equation reads them, so memory stays about that of
  running the program;
- the first equation whose results hold a NaN or Inf while its inputs held none (and the
  first past a threshold) is found as the evaluation goes, and can stop it.

Abstract arguments (``f32[16,4]``) get seeded random values (``args.seeded``), and the
result says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as jcore

from jaxviz.core.ir.labels import equation_name
from jaxviz.core.value_stats import (
    HUGE,
    Problem,
    array_stats,
    describe,
    folded,
    introduces,
    merged,
    nonfinite,
    suspect,
)
from jaxviz.trace.jaxpr_walk import jaxprs_in_params, param_jaxprs

# equations whose one jaxpr is the function that runs, evaluated inside so that each of its
# equations is recorded (the others are bound whole: their insides are not recorded)
CALLS = ("pjit", "jit", "closed_call", "core_call", "remat", "remat2", "checkpoint",
         "custom_jvp_call",
         "custom_vjp_call", "custom_vjp_call_jaxpr", "custom_lin")


class Stopped(Exception):
    """The evaluation met what it was asked to stop at."""


@dataclasses.dataclass
class Recorder:
    """What the evaluation keeps: statistics per equation, branches, the first problems."""

    nodes: dict  # graph IR id → Node, for names and lines
    group_label: Callable[[str], str] = lambda nid: ""  # the picture's group of a node
    threshold: float = HUGE
    stop_at_nonfinite: bool = False
    stats: dict[str, list[dict]] = dataclasses.field(default_factory=dict)
    loops: dict[str, list[dict]] = dataclasses.field(default_factory=dict)  # running totals
    branches: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    first: dict[str, Problem] = dataclasses.field(default_factory=dict)
    iteration: list[int] = dataclasses.field(default_factory=list)  # the loops around, inner last
    count: int = 0
    # shown each equation's results outside loops (``values_compare`` keeps or compares them)
    watch: Callable[[str, list], None] | None = None

    def record(self, nid: str, inputs: list, outputs: list,
               literal: list[bool] | None = None) -> None:
        self.count += 1
        outs = [stats_of(v) for v in outputs]
        if self.iteration:
            totals = self.loops.get(nid) or [None] * len(outs)
            self.loops[nid] = [folded(t, s, self.iteration[-1]) for t, s in zip(totals, outs)]
        else:
            self.stats[nid] = outs
            if self.watch is not None:
                self.watch(nid, outputs)
        self._check(nid, inputs, outs, literal or [False] * len(inputs))

    def arrived(self, nid: str, stats: dict) -> None:
        """An argument or constant of the stage: its statistics, and a NaN or Inf it brings
        in (then no equation made it)."""
        self.stats[nid] = [stats]
        if nonfinite(stats) and "nonfinite" not in self.first:
            node = self.nodes.get(nid)
            what = "argument" if nid.startswith("in") else "constant"
            name = (node.display_name or node.label) if node else nid
            self.first["nonfinite"] = Problem(
                nid, "nonfinite", f"it came in with the {what} `{name}` ({stats['dtype']}"
                f"{stats['shape']}: {_counts(stats)}): no equation made it", None, None, "",
                [], [], [stats])

    def _check(self, nid: str, inputs: list, outs: list[dict], literal: list[bool]) -> None:
        """Whether this equation made a NaN or Inf (or a huge value) that its inputs did not
        hold; a literal written in the program (``x * jnp.nan``) counts as made here."""
        node = self.nodes.get(nid)
        backward = node is not None and "transpose" in (node.transforms or [])
        if not suspect(outs, self.threshold, backward):
            return  # the inputs' statistics are only needed when the outputs went wrong
        ins = [{**stats_of(v), "operand": k} for k, (v, lit) in enumerate(zip(inputs, literal))
               if _is_array(v) and not lit]  # its place among the operands, for Details
        kind = introduces(ins, outs, self.threshold, backward)
        if not kind or kind in self.first or (kind == "all_zero" and not ins):
            return
        line = self._line(nid)
        iteration = self.iteration[-1] if self.iteration else None
        words = describe(kind, equation_name(node) if node else nid,
                         node.primitive if node else "?", ins, outs, line,
                         self._context(nid), iteration)
        bad = [np.asarray(v).item() for v, lit in zip(inputs, literal) if lit and np.size(v) == 1
               and np.issubdtype(np.asarray(v).dtype, np.inexact)
               and not np.isfinite(np.asarray(v)).all()]
        if bad:
            words += f", from the literal {bad[0]} the program writes"
        self.first[kind] = Problem(nid, kind, words, line, iteration,
                                   node.primitive if node else "", self._within(nid), ins, outs)
        if kind == "nonfinite" and self.stop_at_nonfinite:
            raise Stopped(words)

    def _line(self, nid: str) -> int | None:
        """The user's line of an equation, else of the nearest call around it (inside a
        library's jitted helper, JAX keeps no frame of the user's)."""
        parts = nid.split("/")
        for end in range(len(parts), 0, -2):
            node = self.nodes.get("/".join(parts[:end]))
            if node is not None and node.line:
                return node.line
        return None

    def _within(self, nid: str) -> list[dict]:
        """The equations a nested one runs inside (a ``scan``, a ``jit``), outermost first:
        what ``jax_debug_nans`` names when it stops at the call rather than inside it."""
        parts, found = nid.split("/"), []
        for end in range(1, len(parts) - 1, 2):
            node = self.nodes.get("/".join(parts[:end]))
            if node is not None:
                found.append({"node": node.id, "primitive": node.primitive, "line": node.line})
        return found

    def _context(self, nid: str) -> str:
        """"in the backward pass of `layer #2`, made by the transpose of line 7" for an
        equation of a backward pass ("" for one of the forward pass)."""
        node = self.nodes.get(nid)
        if node is None or "transpose" not in (node.transforms or []):
            return ""
        group = self.group_label(nid)
        line = self._line(nid)
        return f"in the backward pass{f' of `{group}`' if group else ''}" + \
            (f", made by the transpose of line {line}" if line else "")

    def finished(self) -> dict[str, list[dict]]:
        """Every equation's statistics: those in loops merged over their iterations."""
        out = dict(self.stats)
        for nid, totals in self.loops.items():
            out[nid] = [merged(total) for total in totals]
        return out


def _counts(stats: dict) -> str:
    return ", ".join(f"{stats[k]} {w}" for k, w in (("nan", "NaN"), ("posinf", "+inf"),
                                                      ("neginf", "-inf")) if stats.get(k))


def plain_array(value) -> np.ndarray | None:
    """A value as NumPy reads it: a PRNG key by its key data, another extended type (a token)
    as None."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.extended):
        if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
            return np.asarray(jax.random.key_data(value))
        return None
    return np.asarray(value)


def stats_of(value) -> dict:
    """``array_stats`` of a value: a PRNG key by its key data, a token by its type."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.extended):
        data = plain_array(value)
        if data is None:
            return {"shape": list(getattr(value, "shape", ())), "dtype": str(dtype), "size": 0}
        return {**array_stats(data), "dtype": str(dtype)}
    if dtype is None:
        return array_stats(np.asarray(value))
    if jnp.issubdtype(dtype, jnp.floating) and not np.issubdtype(np.dtype(dtype), np.floating):
        # bfloat16, float8: NumPy does not count them as numbers; their values as float32
        return {**array_stats(np.asarray(value, np.float32)), "dtype": str(dtype)}
    return array_stats(value)


def _is_array(v) -> bool:
    return (hasattr(v, "shape") and hasattr(v, "dtype")) or isinstance(v, (int, float, complex))


def evaluate_closed(closed, args: list, rec: Recorder) -> list:
    """The closed jaxpr's outputs on ``args`` (flat), every equation recorded; a NaN or Inf
    that comes in with an argument or a constant is named as such."""
    for kind, values in (("in", args), ("c", list(closed.consts))):
        for i, value in enumerate(values):
            if _is_array(value):
                rec.arrived(f"{kind}{i}", stats_of(value))
    return _eval(closed.jaxpr, list(closed.consts), list(args), "", rec)


def _eval(jaxpr, consts: list, args: list, prefix: str, rec: Recorder) -> list:
    env: dict = {}
    last = _last_uses(jaxpr)

    def read(atom):  # a literal as the array the equation sees (f32, not a Python float)
        return jnp.asarray(atom.val, atom.aval.dtype) if isinstance(atom, jcore.Literal) \
            else env[atom]

    for var, value in zip(jaxpr.constvars, consts):
        env[var] = value
    for var, value in zip(jaxpr.invars, args):
        env[var] = value
    for k, eqn in enumerate(jaxpr.eqns):
        nid = f"{prefix}e{k}"
        inputs = [read(v) for v in eqn.invars]
        outputs = _equation(eqn, inputs, nid, rec)
        rec.record(nid, inputs, outputs, [isinstance(v, jcore.Literal) for v in eqn.invars])
        for var, value in zip(eqn.outvars, outputs):
            if not isinstance(var, jcore.DropVar):
                env[var] = value
        for var in eqn.invars:  # dropped once no later equation (or the output) reads it
            if not isinstance(var, jcore.Literal) and last.get(var) == k:
                env.pop(var, None)
    return [read(v) for v in jaxpr.outvars]


def _last_uses(jaxpr) -> dict:
    last: dict = {}
    for k, eqn in enumerate(jaxpr.eqns):
        for var in eqn.invars:
            if not isinstance(var, jcore.Literal):
                last[var] = k
    for var in jaxpr.outvars:
        if not isinstance(var, jcore.Literal):
            last[var] = len(jaxpr.eqns)  # kept to the end
    return last


def _equation(eqn, inputs: list, nid: str, rec: Recorder) -> list:
    name = eqn.primitive.name
    subs = jaxprs_in_params(eqn.params)
    if name in CALLS and subs:
        closed = _closed_param(eqn.params, subs[0])
        return _eval(closed.jaxpr, list(closed.consts), inputs, f"{nid}/g0/", rec)
    if name == "cond":
        return _cond(eqn, inputs, nid, rec, subs)
    if name == "scan":
        return _scan(eqn, inputs, nid, rec)
    if name == "while":
        return _while(eqn, inputs, nid, rec, subs)
    with eqn.ctx.manager:  # as jax.core.eval_jaxpr binds it
        out = eqn.primitive.bind(*inputs, **eqn.primitive.get_bind_params(eqn.params))
    return list(out) if eqn.primitive.multiple_results else [out]


def _closed_param(params: dict, open_jaxpr):
    """The closed jaxpr of the params that holds ``open_jaxpr`` (a bare one closed empty)."""
    for value in params.values():
        items = value if isinstance(value, (tuple, list)) else [value]
        for item in items:
            if isinstance(item, jcore.ClosedJaxpr) and item.jaxpr is open_jaxpr:
                return item
            if item is open_jaxpr:
                return jcore.ClosedJaxpr(item, ())
    return jcore.ClosedJaxpr(open_jaxpr, ())


def _cond(eqn, inputs: list, nid: str, rec: Recorder, subs: list) -> list:
    index = int(np.clip(int(np.asarray(inputs[0])), 0, len(eqn.params["branches"]) - 1))
    rec.branches.setdefault(nid, []).append(index)
    branch = eqn.params["branches"][index]
    j = _offset(eqn.params, "branches") + index  # by place: equal branches are one object
    return _eval(branch.jaxpr, list(branch.consts), inputs[1:], f"{nid}/g{j}/", rec)


def _offset(params: dict, name: str) -> int:
    """How many jaxprs the params before ``name`` hold (the graph numbers them in order)."""
    found = param_jaxprs(params)
    return sum(len(subs) for key, subs in found.items() if list(found).index(key) <
               list(found).index(name))


def _scan(eqn, inputs: list, nid: str, rec: Recorder) -> list:
    p = eqn.params
    body, n_consts, n_carry, length = p["jaxpr"], p["num_consts"], p["num_carry"], p["length"]
    consts, carry, xs = inputs[:n_consts], inputs[n_consts:n_consts + n_carry], \
        inputs[n_consts + n_carry:]
    ys = []
    order = range(length - 1, -1, -1) if p.get("reverse") else range(length)
    rec.iteration.append(0)
    try:
        for i in order:
            rec.iteration[-1] = i
            out = _eval(body.jaxpr, list(body.consts), consts + carry + [x[i] for x in xs],
                        f"{nid}/g0/", rec)
            carry, y = out[:n_carry], out[n_carry:]
            ys.append(y)
    finally:
        rec.iteration.pop()
    if p.get("reverse"):
        ys.reverse()
    stacked = [jnp.stack([y[k] for y in ys]) if ys else
               jnp.zeros(v.aval.shape, v.aval.dtype)
               for k, v in enumerate(eqn.outvars[n_carry:])]
    return list(carry) + stacked


def _while(eqn, inputs: list, nid: str, rec: Recorder, subs: list) -> list:
    p = eqn.params
    cond, body = p["cond_jaxpr"], p["body_jaxpr"]
    nc, nb = p["cond_nconsts"], p["body_nconsts"]
    cond_consts, body_consts, carry = inputs[:nc], inputs[nc:nc + nb], inputs[nc + nb:]
    jc, jb = _offset(p, "cond_jaxpr"), _offset(p, "body_jaxpr")
    rec.iteration.append(0)
    try:
        i = 0
        while True:
            rec.iteration[-1] = i  # the test before iteration i belongs to it
            going = np.asarray(_eval(cond.jaxpr, list(cond.consts), cond_consts + carry,
                                     f"{nid}/g{jc}/", rec)[0])
            if not going.any():
                break
            new = _eval(body.jaxpr, list(body.consts), body_consts + carry, f"{nid}/g{jb}/",
                        rec)
            # a batched loop (vmap of while) runs until every lane is done, as JAX's does;
            # a lane that is done keeps its carry
            carry = new if going.ndim == 0 else [_keep_done(going, n, c)
                                                 for n, c in zip(new, carry)]
            i += 1
    finally:
        rec.iteration.pop()
    return list(carry)


def _keep_done(going: np.ndarray, new, old):
    mask = going.reshape(going.shape + (1,) * (np.ndim(old) - going.ndim))
    return jnp.where(mask, new, old)
