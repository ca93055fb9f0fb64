"""The names JAX's printer gives a jaxpr's variables, without printing it.

``str(closed_jaxpr)`` names variables ``a, b, ..., z, ba, ...`` in the order it meets them:
first the jaxprs it pulls to the top as ``let`` blocks (used twice, or nested with more than
10 equations), then the jaxpr itself; in each, constants, inputs, then per equation its
results, its nested jaxprs and its operands. Printing costs half the trace at 20,000
equations (0.28 s); meeting the variables in the same order costs a tenth of that. An
equation that holds a jaxpr is handed to JAX's own printer (``pp_eqn``) with the same naming
context, so its names are JAX's by construction; any other equation can only name its
results, in order (its operands are named where they are defined; JAX's printing rules for
``dot_general``, ``exp``, ... change how params print, not that order, and sending those to
the printer would cost 3.5 times as much). ``tests/trace/test_jaxpr_names.py`` holds the names
against the printer's on every sample; the app checks them again when it prints the text.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from jax.extend import core as jcore

from jaxviz.trace.jaxpr_walk import holds_jaxpr, jaxprs_in_params

try:  # the naming context and the equation printer have no public API
    from jax._src import core as _core
except ImportError:  # pragma: no cover - JAX moved its internals: the caller prints instead
    _core = None

class PrinterNames:
    """The printer's names of one closed jaxpr's variables (``names[var]``), and which
    jaxprs it prints once at the top (``shared``: jaxpr → its ``let`` name).

    ``names`` is the printer's own table: a variable not in it yet gets the next free name
    when first looked up. A flat jaxpr (no equation holds one) is not walked here at all: the
    graph meets its variables in the printer's order (constants, inputs, then each equation's
    results before its operands) and names them as it goes, at no extra cost."""

    def __init__(self, closed):
        jaxpr = getattr(closed, "jaxpr", closed)  # a closed jaxpr prints as its jaxpr
        self.context = _core.JaxprPpContext(_core._dropvars(jaxpr))
        self.settings = _core.JaxprPpSettings()
        self.names = self.context.var_names
        self.shared = self.context.shared_jaxprs
        if not any(holds_jaxpr(eqn.params) for eqn in jaxpr.eqns):
            return  # flat: names come as the graph is built, in the same order (see below)
        for name, sub in _shared_jaxprs(jaxpr):
            self.context.shared_jaxpr_names.add(name)
            self.shared[sub] = name
        for sub in list(self.shared):
            self._jaxpr(sub)
        self._jaxpr(jaxpr)

    def _jaxpr(self, jaxpr) -> None:
        names = self.names
        for var in jaxpr.constvars:
            names[var]  # noqa: B018 - the lookup gives the next free name, as printing does
        for var in jaxpr.invars:
            names[var]  # noqa: B018
        for eqn in jaxpr.eqns:
            if holds_jaxpr(eqn.params):
                _core.pp_eqn(eqn, self.context, self.settings)
                continue
            for var in eqn.outvars:
                if not isinstance(var, jcore.DropVar):
                    names[var]  # noqa: B018
            self._operands(eqn.invars)
        self._operands(jaxpr.outvars)

    def _operands(self, atoms) -> None:
        names = self.names
        for atom in atoms:
            if not isinstance(atom, jcore.Literal):
                names[atom]  # noqa: B018 - defined earlier in any valid jaxpr: no new name


def printer_names(closed) -> PrinterNames | None:
    """The names, or None where JAX's internals are not where this module looks."""
    if _core is None:
        return None
    try:
        return PrinterNames(closed)
    except (AttributeError, TypeError):  # pragma: no cover - a JAX whose printer changed
        return None


def _shared_jaxprs(top) -> list[tuple[str, Any]]:
    """The jaxprs printed once at the top, in the printer's order, with their names: used
    more than once, or nested and longer than 10 equations (``pp_toplevel_jaxpr``)."""
    names: dict = {}
    counts: Counter = Counter()
    queue = deque([top])
    while queue:
        jaxpr = queue.popleft()
        counts[jaxpr] += 1
        if jaxpr is not top and len(jaxpr.eqns) > 10:
            counts[jaxpr] += 1
        for eqn in jaxpr.eqns:
            name = eqn.params.get("name")
            subs = jaxprs_in_params(eqn.params)
            if name is None:
                queue.extend(subs)
                continue
            name = name.strip("<>")
            for sub in subs:
                queue.append(sub)
                names.setdefault(sub, name)
    used: Counter = Counter()
    shared = []
    for jaxpr, count in counts.items():
        if count == 1:
            continue
        name = names.get(jaxpr, "jaxpr")
        if (seen := used[name]) > 0:
            used[name] += 1
            name += str(seen)
        used[name] += 1
        shared.append((name, jaxpr))
    return shared


class ApartNames:
    """The names of a jaxpr printed apart: the outer table's where it has one, else its own
    context's (looking a variable up in a printer's table names it: ``in`` does not)."""

    def __init__(self, outer, own):
        self.outer, self.own = outer, own

    def __getitem__(self, var) -> str:
        return self.outer[var] if var in self.outer else self.own[var]

    def __contains__(self, var) -> bool:
        return var in self.outer or var in self.own
