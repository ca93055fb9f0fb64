"""Two stages run on the same values and compared: per output, and per equation the diff pairs
(``core.diff.pairs``), for ``f`` against ``jit(f)`` or a bf16 pipeline against f32.

The stage compared against runs first and keeps the results of its paired equations (up to
``KEEP_BYTES``); the stage itself then compares each paired equation's results with them as
it goes, so no more than one stage's kept results are held at once. Equations inside loops
are compared through the loop's results only (an iteration's values are not kept).
"""

from __future__ import annotations

import numpy as np

from jaxviz.core.diff.pairs import pair_stages
from jaxviz.trace.values import plain_array

KEEP_BYTES = 512 * 2**20  # past this, later paired equations are not compared (and it is said)
SHOWN = 8  # the equations that differ most, listed


def paired_ids(stage, against) -> dict[str, str]:
    """The stage's node id → the paired node id of ``against``, for equations the diff pairs
    whose results have the same types (a bf16 equation paired with its f32 one is kept: the
    dtypes differ, the shapes must not)."""
    pairs = pair_stages(stage, against).pairs
    return {p.before: p.after for p in pairs if p.before and p.after
            and _shapes(p.before_type) == _shapes(p.after_type)}


def _shapes(types: str) -> list[str]:
    return [t[t.find("["):] for t in types.split(", ")]


class Keeper:
    """``Recorder.watch`` for the stage compared against: keeps its paired results."""

    def __init__(self, wanted: set[str]):
        self.wanted, self.kept, self.bytes, self.full = wanted, {}, 0, False

    def __call__(self, nid: str, outputs: list) -> None:
        if nid not in self.wanted or self.full:
            return
        arrays = [plain_array(v) for v in outputs]
        self.bytes += sum(a.nbytes for a in arrays)
        self.full = self.bytes > KEEP_BYTES
        if not self.full:
            self.kept[nid] = arrays


class Comparer:
    """``Recorder.watch`` for the stage itself: each paired equation against the kept one."""

    def __init__(self, partner: dict[str, str], kept: dict[str, list]):
        self.partner, self.kept, self.found = partner, kept, {}

    def __call__(self, nid: str, outputs: list) -> None:
        other = self.kept.get(self.partner.get(nid, ""))
        if other is None or len(other) != len(outputs):
            return
        mine = [plain_array(v) for v in outputs]
        rows = [differences(a, b) for a, b in zip(mine, other)
                if a is not None and b is not None and np.shape(a) == np.shape(b)]
        if rows:
            self.found[nid] = {"partner": self.partner[nid],
                               "max_abs": max(r["max_abs"] for r in rows),
                               "max_rel": max(r["max_rel"] for r in rows)}


def differences(x, y) -> dict[str, float]:
    """The largest absolute and relative difference (relative to ``y``'s magnitude; complex
    numbers by the magnitude of their difference)."""
    wide = np.complex128 if np.iscomplexobj(x) or np.iscomplexobj(y) else np.float64
    x, y = np.asarray(x, wide), np.asarray(y, wide)
    if x.size == 0:
        return {"max_abs": 0.0, "max_rel": 0.0}
    diff = np.abs(x - y)
    scale = np.maximum(np.abs(y), np.finfo(np.float64).tiny)
    both_nan = np.isnan(x) & np.isnan(y)  # a NaN where the other has one too agrees
    diff, rel = np.where(both_nan, 0.0, diff), np.where(both_nan, 0.0, diff / scale)
    return {"max_abs": float(np.nanmax(diff)), "max_rel": float(np.nanmax(rel))}


def compared(first: dict, second: dict, comparer: Comparer | None, keeper: Keeper | None
             ) -> dict:
    """The outputs side by side, and the paired equations that differ most."""
    out = {"stage": first["stage"], "against": second["stage"], **outputs_compared(first,
                                                                                 second)}
    if comparer is not None:
        found = comparer.found
        worst = sorted(found, key=lambda n: -found[n]["max_abs"])[:SHOWN]
        out.update(equations=found, most_different=[{"node": n, "name":
                   first["names"].get(n, n), **found[n]} for n in worst],
                   paired=len(comparer.partner),
                   not_kept="" if keeper is None or not keeper.full else
                   f"paired results past {KEEP_BYTES >> 20} MB were not kept, nor compared")
    return out


def outputs_compared(first: dict, second: dict) -> dict:
    """Per output, the largest absolute and relative difference; not comparable when the
    outputs differ in number or shape (a grad against the function it differentiates)."""
    a, b = first.get("arrays"), second.get("arrays")
    if a is None or b is None or len(a) != len(b):
        return {"comparable": False,
                "why": "their outputs differ in number or shape (or one stopped early)"}
    pairs = [(plain_array(x), plain_array(y)) for x, y in zip(a, b)]
    if any(x is None or y is None or x.shape != y.shape for x, y in pairs):
        return {"comparable": False,
                "why": "their outputs differ in number or shape (or one stopped early)"}
    return {"comparable": True, "outputs": [differences(x, y) for x, y in pairs]}


def against_xla(result: dict, closed, leaves: list, filename: str) -> dict:
    """The stage's jaxpr run as one XLA program (``jax.jit`` of it, as the user's ``jit(f)``
    runs), on the same values, against its equation-by-equation run: where XLA's fusion and
    reordering change the numbers. The jaxpr already traced is what runs: the user's function
    is not called again."""
    import jax
    from jax.extend import core as jcore

    from jaxviz.trace.devices import InputError
    from jaxviz.trace.explain import explain

    try:
        arrays = list(jax.jit(jcore.jaxpr_as_fun(closed))(*leaves))
    except Exception as exc:  # noqa: BLE001 - XLA refusing the user's program: explained
        raise InputError(explain(exc, filename, "running it as one XLA program")) from None
    xla = {"stage": f"{result['stage']} as one XLA program", "arrays": arrays}
    return compared(result, xla, None, None)
