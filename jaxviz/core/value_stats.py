"""What an array held, in a few numbers, and where values first went wrong.

``array_stats`` summarises one array (shape, dtype, min, max, mean, std, counts of NaN, +Inf,
-Inf and zeros, a small histogram of its finite values, its first few values). ``merged``
folds the statistics of a loop's iterations into one. ``first_problem`` finds, in program
order, the first equation whose outputs hold what its inputs did not (a NaN or an Inf, or a
value past a threshold) and says it in words, with the line and the backward pass.

NumPy only: the worker computes these, and the window and the CLI read them as plain data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

FIRST_VALUES = 8  # the first values of an array are kept when it has at most this many
BINS = 12
HUGE = 1e30  # the default threshold for "a value past a threshold"
ITERATIONS_KEPT = 1000  # a loop's equations keep statistics of their own for this many


def array_stats(value) -> dict:
    """Shape, dtype and the numbers of one array (a scalar too). It runs once per equation of
    an evaluation, so it reads the array a few times and copies it only where it holds a NaN
    or an Inf."""
    x = np.asarray(value)
    out = {"shape": list(x.shape), "dtype": str(x.dtype), "size": int(x.size)}
    if x.dtype == bool or not np.issubdtype(x.dtype, np.number) or x.size == 0:
        out.update(zeros=int(x.size - np.count_nonzero(x)) if x.size else 0)
        if x.size <= FIRST_VALUES:
            out["values"] = x.reshape(-1).tolist()
        return out
    flat = x.reshape(-1)
    out["zeros"] = int(flat.size - np.count_nonzero(flat))
    finite = np.abs(flat) if np.iscomplexobj(flat) else flat
    out.update(nan=0, posinf=0, neginf=0)
    if np.issubdtype(finite.dtype, np.inexact) and not np.isfinite(finite).all():
        out.update(nan=int(np.isnan(finite).sum()), posinf=int(np.isposinf(finite).sum()),
                   neginf=int(np.isneginf(finite).sum()))
        finite = finite[np.isfinite(finite)]
    if finite.size:
        out.update(_moments(finite))
        out["histogram"] = histogram(finite, out["min"], out["max"])
    if flat.size <= FIRST_VALUES:
        out["values"] = [_number(v) for v in flat.tolist()]
    return out


def _moments(finite: np.ndarray) -> dict:
    """min, max, mean, std (summed in float64) and the largest magnitude."""
    low, high = float(finite.min()), float(finite.max())
    return {"min": low, "max": high, "mean": float(finite.mean(dtype=np.float64)),
            "std": float(finite.std(dtype=np.float64)), "absmax": max(abs(low), abs(high))}


def histogram(finite: np.ndarray, low: float, high: float) -> dict:
    """``np.histogram(finite, BINS)``'s counts and edges, from the min and max already found
    (one pass over the array rather than NumPy's several)."""
    if low == high:  # as NumPy widens an empty range
        low, high = low - 0.5, high + 0.5
    scale = BINS / (high - low)
    # in float64: a float16 or float32 near its largest value would overflow its own type
    index = (np.subtract(finite, low, dtype=np.float64) * scale).astype(np.intp)
    np.clip(index, 0, BINS - 1, out=index)
    counts = np.bincount(index, minlength=BINS)
    edges = np.linspace(low, high, BINS + 1)
    return {"counts": counts.tolist(), "edges": [float(f"{e:.4g}") for e in edges]}


def _number(v):
    """A JSON-fit number: NaN, infinities and complex numbers as strings."""
    if isinstance(v, complex) or (isinstance(v, float) and not math.isfinite(v)):
        return str(v)
    return v


def nonfinite(stats: dict) -> int:
    return stats.get("nan", 0) + stats.get("posinf", 0) + stats.get("neginf", 0)


COUNTS = ("nan", "posinf", "neginf", "zeros")


def folded(total: dict | None, s: dict, iteration: int | None = None) -> dict:
    """One iteration's statistics folded into a loop's running total (kept as the loop runs:
    a loop of a million iterations keeps one total per result, not a million), and a row of
    its own for each of the first ``ITERATIONS_KEPT`` iterations."""
    if total is None:
        total = {"shape": s["shape"], "dtype": s["dtype"], "size": s["size"], "iterations": 0,
                 **dict.fromkeys(COUNTS, 0), "_n": 0, "_sum": 0.0, "_squares": 0.0,
                 "per_iteration": []}
    total["iterations"] += 1
    if len(total["per_iteration"]) < ITERATIONS_KEPT:
        total["per_iteration"].append(
            {"i": iteration, "min": s.get("min"), "max": s.get("max"), "mean": s.get("mean"),
             "absmax": s.get("absmax"), "nonfinite": nonfinite(s)})
    for key in COUNTS:
        total[key] += s.get(key, 0)
    if "min" in s:
        for key, pick in (("min", min), ("max", max), ("absmax", max)):
            total[key] = pick(total.get(key, s[key]), s[key])
        total["_n"] += 1
        total["_sum"] += s["mean"]
        total["_squares"] += s["std"] ** 2 + s["mean"] ** 2
    return total


def merged(total: dict) -> dict:
    """A loop's total as statistics: counts summed, extremes kept, and the mean and std of
    every value of every iteration (the iterations' arrays have one shape)."""
    out = {k: v for k, v in total.items() if not k.startswith("_")}
    if total["_n"]:
        mean = total["_sum"] / total["_n"]
        out.update(mean=mean, std=math.sqrt(max(total["_squares"] / total["_n"] - mean ** 2,
                                                0.0)))
    return out


@dataclass
class Problem:
    """The first equation (in program order) whose outputs hold what its inputs did not."""

    node: str  # graph IR id
    kind: str  # "nonfinite" or "huge"
    words: str
    line: int | None = None
    iteration: int | None = None  # of the loop around it, counted from 0
    primitive: str = ""
    within: list[dict] = field(default_factory=list)  # the equations around it, outermost first
    inputs: list[dict] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def introduces(inputs: list[dict], outputs: list[dict], threshold: float,
               backward: bool = False) -> str:
    """"nonfinite" when the outputs hold a NaN or an Inf and the inputs none; "huge" when an
    output's magnitude passes the threshold and no input's did; in a backward pass,
    "all_zero" when a floating output is all zeros and not every input was (the gradient
    became zero there, not merely passed a zero on); else ""."""
    if any(nonfinite(s) for s in outputs) and not any(nonfinite(s) for s in inputs):
        return "nonfinite"
    big = [s.get("absmax", 0.0) for s in outputs if _inexact(s)]
    if any(b > threshold for b in big) and not any(s.get("absmax", 0.0) > threshold
                                                   for s in inputs):
        return "huge"
    if backward and any(_inexact(s) and _all_zero(s) for s in outputs) and \
            not all(_all_zero(s) for s in inputs):
        return "all_zero"
    return ""


def suspect(outputs: list[dict], threshold: float, backward: bool) -> bool:
    """Whether ``introduces`` could name these outputs (then the inputs are summarised)."""
    return any(nonfinite(s) or (_inexact(s) and s.get("absmax", 0.0) > threshold)
               or (backward and _inexact(s) and _all_zero(s)) for s in outputs)


def _all_zero(s: dict) -> bool:
    return bool(s.get("size")) and s.get("zeros") == s["size"]


def _inexact(s: dict) -> bool:
    """Floating or complex: the threshold is about values, not integers or random bits."""
    return "float" in s["dtype"] or "complex" in s["dtype"]


def describe(kind: str, name: str, primitive: str, inputs: list[dict], outputs: list[dict],
             line: int | None, context: str, iteration: int | None) -> str:
    """```log` of 0.0 at line 18 gave -inf``; after a ``context`` ("in the backward pass of
    `layer #2`, made by the transpose of line 7"): ``div`` ..."""
    where = f" at line {line}" if line else ""
    within = f" in iteration {iteration} of its loop (counting from 0)" \
        if iteration is not None else ""
    args = ", ".join(_input_words(s) for s in inputs) or "no inputs"
    gave = "; ".join(_output_words(s, kind) for s in outputs if _output_words(s, kind))
    text = f"`{primitive}` of {args}{where}{within} gave {gave} (`{name}`)"
    return f"{context}: {text}" if context else text


def _input_words(s: dict) -> str:
    if "values" in s and len(s["values"]) == 1:
        return str(s["values"][0])
    if s.get("size") and s.get("zeros") == s["size"]:
        return "all zeros"
    if s.get("zeros"):
        return f"{s['dtype']}{s['shape']} with {s['zeros']} zero{'s' if s['zeros'] > 1 else ''}"
    if "min" in s:
        return f"{s['dtype']}{s['shape']} in [{s['min']:.3g}, {s['max']:.3g}]"
    return f"{s['dtype']}{s['shape']}"


def _output_words(s: dict, kind: str) -> str:
    if kind == "all_zero":
        return "all zeros" if _all_zero(s) else ""
    if kind == "huge":
        return f"magnitude {s.get('absmax', 0.0):.3g}" if "absmax" in s else ""
    parts = [f"{s[k]} {w}" for k, w in (("nan", "NaN"), ("posinf", "+inf"), ("neginf", "-inf"))
             if s.get(k)]
    if "values" in s and len(s["values"]) == 1 and parts:
        return str(s["values"][0])
    return ", ".join(parts)


def compared_lines(compared: dict) -> list[str]:
    """The outputs against the other run's; the paired equations that differ most."""
    lines = [f"against {compared['against']}:"]
    if not compared["comparable"]:
        lines[0] += f" outputs not comparable: {compared['why']}"
    else:
        lines += [f"  output {i}: {_difference(row)}" for i, row in
                  enumerate(compared["outputs"])]
    if "paired" in compared:
        differ = [row for row in compared["most_different"] if row["max_abs"] > 0]
        lines.append(f"  {len(compared['equations'])} of {compared['paired']} paired "
                     "equations compared: " + ("most different:" if differ else "all equal"))
        lines += [f"    {row['name']} [{row['node']} ~ {row['partner']}]: {_difference(row)}"
                  for row in differ]
        if compared["not_kept"]:
            lines.append(f"  ({compared['not_kept']})")
    return lines


def _difference(row: dict) -> str:
    return f"max |difference| {row['max_abs']:.3g}, max relative {row['max_rel']:.3g}"
