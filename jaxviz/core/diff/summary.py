"""A diff in words and numbers, per kind of transformation (a table with a default)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from ..ir.graph import Stage, transforms_of
from ..model.styles import BACKWARD, provenance
from .pairs import is_wrapped

INSERTED_BY_BATCHING = ("broadcast_in_dim", "transpose", "reshape", "squeeze", "expand_dims",
                        "iota")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _list(counter: Counter) -> str:
    return ", ".join(f"{n} {prim}" for prim, n in counter.most_common()) or "none"


def _nodes(stage: Stage) -> dict:
    return {n.id: n for n in stage.graph.walk_nodes()}


def _autodiff(d, after: Stage) -> str:
    nodes = _nodes(after)
    added = [nodes[p.after] for p in d.pairs if p.cls == "added"]
    backward = [n for n in added if provenance(transforms_of(n)) == BACKWARD]
    kept = d.counts["unchanged"] + d.counts["changed"]
    text = (f"{d.transform} kept {_plural(kept, 'forward equation')} of {d.before} "
            f"({d.counts['unchanged']} unchanged, {d.counts['changed']} changed) and removed "
            f"{d.counts['removed']}. It added {_plural(len(added), 'equation')}: "
            f"{len(backward)} in the backward (transpose) pass and {len(added) - len(backward)} "
            f"in the forward (jvp) pass, for the derivatives.")
    return text


def _batching(d, after: Stage) -> str:
    nodes = _nodes(after)
    added = Counter(p.primitive for p in d.pairs if p.cls == "added")
    inserted = Counter({k: v for k, v in added.items() if k in INSERTED_BY_BATCHING})
    batched_dots = sum(1 for n in nodes.values() if n.primitive == "dot_general"
                       and "batch" in n.params_short)
    text = (f"vmap re-batched {_plural(d.counts['changed'], 'equation')} (new shapes or params), "
            f"left {d.counts['unchanged']} unchanged, removed {d.counts['removed']} and inserted "
            f"{sum(added.values())}: {_list(added)}.")
    if inserted:
        text += f" Batching moves and broadcasts axes with {_list(inserted)}."
    if batched_dots:
        text += f" {_plural(batched_dots, 'dot_general')} now carry batch dimensions."
    removed = Counter(p.primitive for p in d.pairs if p.cls == "removed")
    if removed.get("cond") and added.get("select_n"):
        text += (" The batched predicate turned the cond into select_n: both branches now run "
                 "for every element.")
    return text


def _wrapping(d, after: Stage) -> str:
    nodes = _nodes(after)
    chain = " → ".join(nodes[w].primitive for w in d.wrappers) or "nothing"
    body = d.counts["unchanged"]
    dead = _dead_code(nodes)
    if is_wrapped(d) and not d.counts["added"] and not d.counts["changed"]:
        return (f"{d.transform} wraps the whole of {d.before} in {chain}: the body is unchanged "
                f"({_plural(body, 'equation')}).{dead}")
    added = Counter(p.primitive for p in d.pairs if p.cls == "added")
    return (f"{d.transform} wraps {d.before} in {chain}. Inside: {body} unchanged, "
            f"{d.counts['changed']} changed, {d.counts['removed']} removed, and "
            f"{sum(added.values())} added ({_list(added)}).{dead}")


def _dead_code(nodes: dict) -> str:
    """What XLA will drop when it compiles: the equations whose results nobody uses."""
    unused = Counter(n.primitive for n in nodes.values() if n.kind == "eqn" and n.unused)
    if not unused:
        return ""
    return (f" When it compiles, dead-code elimination drops the "
            f"{_plural(sum(unused.values()), 'equation')} whose results nobody uses "
            f"({_list(unused)}; drawn pale).")


def _generic(d, after: Stage) -> str:
    c = d.counts
    return (f"{d.before} → {d.after}: {c['unchanged']} unchanged, {c['changed']} changed, "
            f"{c['added']} added, {c['removed']} removed.")


SUMMARIES: dict[str, Callable] = {
    "grad": _autodiff, "value_and_grad": _autodiff, "jacrev": _autodiff, "jacfwd": _autodiff,
    "hessian": _autodiff, "vmap": _batching, "jit": _wrapping, "pmap": _wrapping,
}


def summarise(d, after: Stage) -> str:
    kind = (d.transform or "").split("(")[0]
    return SUMMARIES.get(kind, _generic)(d, after)
