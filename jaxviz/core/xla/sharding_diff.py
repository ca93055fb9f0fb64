"""Two partitionings of one function set side by side (``jaxviz sharding --what-if``).

The same function compiled with another sharding (another PartitionSpec for an argument,
another mesh) gives another partitioned program. The diff says which collectives appear and
which disappear (matched by kind, mesh axes and the equations they serve), the bytes each
takes per device (the size of its results), and the per-device FLOPs and peak memory of
both. Plain data, no jax.
"""

from __future__ import annotations

import ast
from collections import Counter

from ..pipeline_spec import PipelineError, literal
from .collectives import KINDS

WHAT_IF_KEYS = ("in_shardings", "out_shardings", "mesh")


def parse_what_if(text: str) -> dict:
    """``in_shardings=(P(), P('model')), mesh='data=2,model=4'`` read into its keywords;
    the values are literals (and P(...)), never evaluated."""
    try:
        call = ast.parse(f"what_if({text})", mode="eval").body
    except SyntaxError:
        call = None
    if not isinstance(call, ast.Call) or call.args or not call.keywords:
        raise PipelineError(
            f"--what-if {text!r}: give keywords, e.g. "
            "\"in_shardings=(P('data'), P()), mesh='data=8'\""
        )
    out = {}
    for kw in call.keywords:
        if kw.arg not in WHAT_IF_KEYS:
            raise PipelineError(
                f"--what-if: no option {kw.arg!r}; its options: {', '.join(WHAT_IF_KEYS)}"
            )
        try:
            out[kw.arg] = literal(kw.value)
        except ValueError:
            raise PipelineError(
                f"--what-if {kw.arg}=...: a literal such as P('data', None) "
                f"or 'data=8', not {ast.unparse(kw.value)!r}"
            ) from None
    return out


def _key(c: dict) -> tuple:
    return (c["kind"], tuple(c["axes"]), tuple(c.get("equation_names") or c["equations"]))


def diff(first: dict, second: dict) -> dict:
    """What changes from ``first`` (as given) to ``second`` (the what-if)."""
    a = Counter(_key(c) for c in first["collectives"])
    b = Counter(_key(c) for c in second["collectives"])
    return {
        "appear": _rows(second["collectives"], b - a),
        "disappear": _rows(first["collectives"], a - b),
        "by_kind": {
            k: {"before": first["by_kind"][k], "after": second["by_kind"][k]} for k in KINDS
        },
        "bytes": {"before": _bytes(first), "after": _bytes(second)},
        "flops_per_device": {
            "before": first["costs"]["flops"]["per_device"],
            "after": second["costs"]["flops"]["per_device"],
        },
        "memory_per_device": {
            "before": first["costs"]["memory"]["per_device"],
            "after": second["costs"]["memory"]["per_device"],
        },
        "mesh": {"before": first["mesh"], "after": second["mesh"]},
    }


def _rows(found: list[dict], wanted: Counter) -> list[dict]:
    rows, left = [], Counter(wanted)
    for c in found:
        if left[_key(c)] > 0:
            left[_key(c)] -= 1
            rows.append(
                {
                    k: c.get(k)
                    for k in (
                        "kind",
                        "axes",
                        "bytes",
                        "type",
                        "equations",
                        "equation_names",
                        "source_lines",
                    )
                }
            )
    return rows


def _bytes(report: dict) -> int:
    """Bytes all collectives move per device (each counted once, loops not multiplied)."""
    return sum(c["bytes"] for c in report["collectives"])
