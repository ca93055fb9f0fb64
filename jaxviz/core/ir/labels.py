"""Short labels for equations: the params that matter, per primitive, from their text.

``integer_pow y=3``, ``dot_general ((1),(0))``, ``reduce_sum axes=(1,)``. The rules are a table
keyed by primitive name with a default, as JAX keeps its own per-primitive rules.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping

MAX_SHORT = 32  # characters of params text beside the primitive name

# Params that never help a reader tell two equations apart.
NOISE = {"precision", "preferred_element_type", "out_sharding", "sharding", "accuracy",
         "jaxpr", "call_jaxpr", "fun_jaxpr", "jvp_jaxpr_fun", "jvp_jaxpr_thunk", "fwd_jaxpr_thunk",
         "bwd", "out_trees", "symbolic_zeros", "num_consts", "linear", "unroll", "_split_transpose",
         "donated_invars", "in_shardings", "out_shardings", "in_layouts", "out_layouts",
         "ctx_mesh", "keep_unused", "inline", "compiler_options_kvs", "resource_env",
         "branches", "cond_jaxpr", "body_jaxpr", "cond_nconsts", "body_nconsts", "jvp",
         "differentiated", "policy", "prevent_cse", "algorithm", "transpose_algorithm",
         "indices_are_sorted", "unique_indices", "mode", "update_jaxpr", "update_consts",
         "dimension_numbers", "fill_value", "call", "num_carry"}


def _keys(*names: str) -> Callable[[dict[str, str]], str]:
    """A rule that shows the named params, in order, as ``k=v``."""
    def rule(params: dict[str, str]) -> str:
        return " ".join(f"{k}={params[k]}" for k in names if k in params)
    return rule


def _dot_general(params: dict[str, str]) -> str:
    """``((1),(0))`` for contracting dims, plus ``batch ((0),(0))`` when there are batch dims."""
    return _dimension_numbers(params.get("dimension_numbers", ""))


@functools.lru_cache(maxsize=1024)
def _dimension_numbers(text: str) -> str:
    try:
        (lc, rc), (lb, rb) = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError):
        return text

    def dims(d) -> str:
        return "(" + ",".join(str(i) for i in d) + ")"

    text = f"({dims(lc)},{dims(rc)})"
    if lb or rb:
        text += f" batch ({dims(lb)},{dims(rb)})"
    return text


def _value(name: str) -> Callable[[dict[str, str]], str]:
    """A rule that shows one param's value alone: jit's ``name``."""
    return lambda params: params.get(name, "")


SHORT_PARAM_RULES: dict[str, Callable[[dict[str, str]], str]] = {
    "integer_pow": _keys("y"),
    "dot_general": _dot_general,
    "broadcast_in_dim": _keys("shape", "broadcast_dimensions"),
    "reshape": _keys("new_sizes"),
    "transpose": _keys("permutation"),
    "convert_element_type": _keys("new_dtype"),
    "squeeze": _keys("dimensions"),
    "expand_dims": _keys("dimensions"),
    "concatenate": _keys("dimension"),
    "slice": _keys("start_indices", "limit_indices"),
    "dynamic_slice": _keys("slice_sizes"),
    "iota": _keys("shape", "dimension"),
    "jit": _value("name"),
    "pjit": _value("name"),
    "closed_call": _value("name"),
    "core_call": _value("name"),
    "remat": lambda p: "",
    "remat2": lambda p: "",
    "checkpoint": lambda p: "",
    "scan": lambda p: f"length={p.get('length', '?')}" + (" reverse" if p.get("reverse") == "True"
                                                          else ""),
    "cond": lambda p: "",
    "while": lambda p: "",
    "custom_jvp_call": _value("name"),
    "custom_vjp_call": _value("name"),
    "shard_map": _keys("axis_names"),
    "psum": _keys("axes"),
    "pmean": _keys("axes"),
    "pmax": _keys("axes"),
    "all_gather": _keys("axis_name"),
    "psum_invariant": _keys("axes"),
}
for _reduce in ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and",
                "reduce_or", "argmax", "argmin", "reduce_precision"):
    SHORT_PARAM_RULES.setdefault(_reduce, _keys("axes"))
for _cum in ("cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"):
    SHORT_PARAM_RULES[_cum] = _keys("axis", "reverse")


def _default_rule(params: dict[str, str]) -> str:
    """Short params that are set: skip noise, None and long values."""
    shown = (k for k in params if k not in NOISE)  # noise unread: its text may not exist yet
    parts = [f"{k}={v}" for k in shown if (v := params[k]) not in ("None", "") and len(v) <= 16]
    return " ".join(parts)


def short_params(primitive: str, params: Mapping[str, str]) -> str:
    """The params worth a label, at most ``MAX_SHORT`` characters."""
    rule = SHORT_PARAM_RULES.get(primitive, _default_rule)
    try:
        text = rule(params)
    except Exception:  # a rule must never take a whole view down: fall back to the default
        text = _default_rule(params)
    return text if len(text) <= MAX_SHORT else text[: MAX_SHORT - 1] + "…"


def full_params(params: dict[str, str]) -> str:
    """Every param on its own line, as ``name=value``."""
    return "\n".join(f"{k}={v}" for k, v in params.items())


def equation_name(node) -> str:
    """An equation as JAX's text names it, the one name every view uses: its results and
    primitive, ``bq = broadcast_in_dim`` (``debug_print`` alone when it has none)."""
    results = " ".join(p.name for p in node.outputs)
    return f"{results} = {node.primitive}" if results else node.primitive
