"""Node styles: a category per primitive (a table with a default) and a provenance per name stack.

The app and every exporter take their colours from here, so the window and the files on disk
show the same picture. A legend lists what each style means.
"""

from __future__ import annotations

from dataclasses import dataclass

ELEMENTWISE, TRANSCENDENTAL, MATMUL, REDUCTION = "elementwise", "transcendental", "matmul", \
    "reduction"
SHAPE, CONTROL, RANDOM, COLLECTIVE, OTHER = "shape", "control", "random", "collective", "other"

_CATEGORY_MEMBERS: dict[str, tuple[str, ...]] = {
    ELEMENTWISE: ("add", "add_any", "sub", "mul", "div", "neg", "abs", "sign", "max", "min",
                  "integer_pow", "pow", "sqrt", "rsqrt", "cbrt", "square", "floor", "ceil",
                  "round", "rem", "select_n", "clamp", "gt", "ge", "lt", "le", "eq", "ne", "and",
                  "or", "not", "xor", "convert_element_type", "nextafter", "is_finite",
                  "copy", "copy_p", "stop_gradient", "reciprocal", "real", "imag", "conj"),
    TRANSCENDENTAL: ("exp", "exp2", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh",
                     "logistic", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh",
                     "acosh", "atanh", "erf", "erfc", "erf_inv", "lgamma", "digamma",
                     "igamma", "bessel_i0e", "bessel_i1e"),
    MATMUL: ("dot_general", "conv_general_dilated", "ragged_dot", "ragged_dot_general"),
    REDUCTION: ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and",
                "reduce_or", "reduce_xor", "argmax", "argmin", "cumsum", "cumprod", "cummax",
                "cummin", "cumlogsumexp", "reduce_precision", "sort", "top_k"),
    SHAPE: ("reshape", "broadcast_in_dim", "squeeze", "expand_dims", "transpose", "slice",
            "dynamic_slice", "dynamic_update_slice", "concatenate", "pad", "gather",
            "scatter", "scatter-add", "scatter_add", "scatter_mul", "rev", "iota", "split",
            "select_and_scatter_add", "squeeze_p", "copy_to_host"),
    CONTROL: ("jit", "pjit", "cond", "while", "scan", "remat", "remat2", "checkpoint",
              "custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr", "closed_call",
              "core_call",
              "shard_map", "xla_call", "xla_pmap", "pmap", "custom_lin", "run_state",
              "for"),
    RANDOM: ("random_bits", "random_split", "random_fold_in", "random_seed", "random_wrap",
             "random_unwrap", "threefry2x32", "rng_bit_generator", "rng_uniform"),
    COLLECTIVE: ("psum", "pmean", "pmax", "pmin", "all_gather", "all_to_all", "ppermute",
                 "psum_scatter", "reduce_scatter", "axis_index", "pbroadcast", "psum_invariant",
                 "pvary", "all_gather_invariant"),
}

# XLA's HLO opcodes, for the lowered and compiled stages ("add", "and", ... are shared)
_HLO_MEMBERS: dict[str, tuple[str, ...]] = {
    ELEMENTWISE: ("multiply", "subtract", "divide", "maximum", "minimum", "negate", "compare",
                  "select", "convert", "remainder", "clamp", "popcnt", "shift-left",
                  "shift-right-logical", "shift-right-arithmetic", "round-nearest-even",
                  "round-nearest-afz", "is-finite"),
    TRANSCENDENTAL: ("exponential", "exponential-minus-one", "log-plus-one", "sine", "cosine",
                     "power", "logistic", "erf", "tan", "atan2"),
    MATMUL: ("dot", "convolution"),
    REDUCTION: ("reduce", "reduce-window", "reduce-precision"),
    SHAPE: ("broadcast", "bitcast", "get-tuple-element", "tuple", "dynamic-slice",
            "dynamic-update-slice", "constant", "reverse", "bitcast-convert"),
    CONTROL: ("fusion", "conditional", "call", "custom-call", "async-start", "async-done"),
    COLLECTIVE: ("all-reduce", "all-gather", "all-to-all", "collective-permute",
                 "reduce-scatter", "partition-id", "replica-id"),
    RANDOM: ("rng", "rng-bit-generator"),
}

CATEGORY_OF: dict[str, str] = {prim: cat for members in (_HLO_MEMBERS, _CATEGORY_MEMBERS)
                               for cat, prims in members.items() for prim in prims}

# Fill colours, chosen to read on white paper and to stay apart for common colour blindness.
CATEGORY_COLORS: dict[str, str] = {
    ELEMENTWISE: "#dbe9fb", TRANSCENDENTAL: "#d3f0dc", MATMUL: "#fbd5d0", REDUCTION: "#fcefc2",
    SHAPE: "#e6e6e6", CONTROL: "#e5d9f7", RANDOM: "#f9d8ec", COLLECTIVE: "#ffdcb8",
    OTHER: "#ffffff",
}
CATEGORY_NAMES: dict[str, str] = {
    ELEMENTWISE: "elementwise arithmetic", TRANSCENDENTAL: "transcendental",
    MATMUL: "matmul / convolution", REDUCTION: "reduction", SHAPE: "shape & data movement",
    CONTROL: "control flow / call", RANDOM: "random", COLLECTIVE: "collective", OTHER: "other",
}

FORWARD, BACKWARD, RECOMPUTED, PLAIN = "forward", "backward", "recomputed", "plain"
PROVENANCE_BORDERS: dict[str, tuple[str, str, float]] = {  # colour, dash style, width
    PLAIN: ("#555555", "solid", 1.0),
    FORWARD: ("#1c5fb8", "solid", 1.6),
    BACKWARD: ("#c2410c", "dashed", 2.0),
    RECOMPUTED: ("#1c5fb8", "dashed", 2.0),
}
PROVENANCE_NAMES = {FORWARD: "forward pass (jvp)", BACKWARD: "backward pass (transpose)",
                    RECOMPUTED: "forward recomputed in the backward pass (checkpoint)"}
REMAT_SCOPE = "rematted_computation"  # JAX's name stack marks checkpoint's recomputation so

INPUT_COLOR, OUTPUT_COLOR, CONST_COLOR, GROUP_COLOR = "#c9ecd0", "#ffe3a3", "#eeeeee", "#f3eefc"
TEXT_COLOR, EDGE_COLOR, CUT_EDGE_COLOR = "#1f2328", "#6b7280", "#9ca3af"


def category(primitive: str) -> str:
    """The primitive's category, OTHER when the table does not know it."""
    return CATEGORY_OF.get(primitive, OTHER)


def provenance(transforms: list[str], scopes: list[str] = ()) -> str:
    """RECOMPUTED for the forward equations ``checkpoint`` runs again inside the backward
    pass, BACKWARD for equations a transpose made, FORWARD for those under jvp, else PLAIN
    (``transforms`` and ``scopes`` as ``ir.transforms_of``/``scopes_of`` give them)."""
    if REMAT_SCOPE in scopes and "transpose" in transforms:
        return RECOMPUTED
    if "transpose" in transforms:
        return BACKWARD
    if "jvp" in transforms:
        return FORWARD
    return PLAIN


@dataclass(frozen=True)
class NodeStyle:
    """What the app and exporters need to draw one node."""

    shape: str  # "box", "ellipse", "output", "group"
    fill: str
    border: str
    dash: str  # "solid" or "dashed"
    border_width: float
    faded: bool = False  # an equation whose results nobody uses (jit drops it)


def eqn_style(primitive: str, transforms: list[str], unused: bool = False,
              scopes: list[str] = ()) -> NodeStyle:
    color, dash, width = PROVENANCE_BORDERS[provenance(transforms, scopes)]
    return NodeStyle("box", CATEGORY_COLORS[category(primitive)], color, dash, width, unused)


FADED_ALPHA = 0.4  # how much of a faded node's colour is drawn


KIND_STYLES = {
    "input": NodeStyle("ellipse", INPUT_COLOR, "#2f7d45", "solid", 1.4),
    "const": NodeStyle("ellipse", CONST_COLOR, "#555555", "dashed", 1.0),
    "output": NodeStyle("output", OUTPUT_COLOR, "#9a6700", "solid", 1.4),
    "group": NodeStyle("group", GROUP_COLOR, "#6d4aa8", "solid", 1.6),
    "stub": NodeStyle("stub", "#ffffff", CUT_EDGE_COLOR, "dashed", 1.0),
}


KIND_NAMES = {"input": "input", "const": "constant", "output": "output",
              "group": "closed group"}


def legend_entries(boxes, in_app: bool = False, overlay: dict | None = None
                   ) -> list[tuple[str, NodeStyle]]:
    """(meaning, style) pairs for what is drawn, and nothing else: the categories whose fill
    some equation has, the passes whose border some equation has, the other kinds of node
    present. ``boxes`` are the drawn nodes (anything with ``kind``, ``fill``, ``border`` and
    ``dash``); only the app adds how to open a closed group."""
    boxes = list(boxes)
    eqns = [b for b in boxes if b.kind == "eqn"]
    fills, borders = {b.fill for b in eqns}, {(b.border, b.dash) for b in eqns}
    entries = [(CATEGORY_NAMES[c], NodeStyle("box", color, "#555555", "solid", 1.0))
               for c, color in CATEGORY_COLORS.items() if color in fills]
    if overlay:  # the fills are the overlay's: its legend says what they mean
        entries = overlay_entries(overlay)
    for prov, name in PROVENANCE_NAMES.items():
        color, dash, width = PROVENANCE_BORDERS[prov]
        if (color, dash) in borders:
            entries.append((name, NodeStyle("box", "#ffffff", color, dash, width)))
    if any(getattr(b, "faded", False) for b in eqns):
        entries.append(("result unused (jit drops it)",
                        NodeStyle("box", "#dbeafe", "#555555", "solid", 1.0, True)))
    kinds = {b.kind for b in boxes}
    for kind, name in KIND_NAMES.items():
        if kind in kinds:
            hint = " (double-click to open)" if kind == "group" and in_app else ""
            entries.append((name + hint, KIND_STYLES[kind]))
    return entries


def overlay_entries(overlay: dict) -> list[tuple[str, NodeStyle]]:
    """The legend of an overlay (``Layout.overlay``): its title on the first entry."""
    entries = overlay.get("entries", []) if overlay else []
    return [((f"{overlay['title']}: " if i == 0 else "") + text,
             NodeStyle("box", fill, "#555555", "solid", 1.0))
            for i, (text, fill) in enumerate(entries)]
