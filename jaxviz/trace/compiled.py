"""Below the jaxpr: the lowered (StableHLO) and compiled (optimized HLO) stages of a jaxpr.

Every equation is tagged before lowering with an XLA frontend attribute holding its graph IR
id (``jaxviz_eqn="e3/g0/e1"``); XLA carries frontend attributes through its passes onto the
instructions it makes, fused or not, so the compiled module says which equation each of its
instructions came from (``core/fusion_map.py`` reads it). The tag is set on each equation's
context, in nested jaxprs too (scan, cond and while bodies, pjit, custom rules), which has no
public API: ``jax._src.core.JaxprEqnContext`` is used here, and when it is not there the map
falls back to JAX's ``op_name`` metadata and says so.

What is shown and measured (text, graph, ``cost_analysis``, ``memory_analysis``) is the
tagged build; tags are opaque to XLA's passes (``tests/trace/test_below.py`` checks that
the tagged and the plain build have the same instructions).
"""

from __future__ import annotations

import time
from typing import Any

import jax
from jax.extend import core as jcore

from jaxviz.core.fusion_map import fusion_map, op_name_map, summary
from jaxviz.core.hlo_ir import hlo_graph, instruction_count
from jaxviz.core.hlo_text import parse_module, strip_tags, without_debug_sections
from jaxviz.core.ir import Stage

TAG = "jaxviz_eqn"
COST_KEYS = ("flops", "transcendentals", "bytes accessed", "optimal_seconds")
MEMORY_KEYS = ("argument_size_in_bytes", "output_size_in_bytes", "alias_size_in_bytes",
               "temp_size_in_bytes", "generated_code_size_in_bytes")


def tag_jaxpr(closed):
    """A copy of the closed jaxpr whose every equation (nested ones too) carries its IR id."""
    from jax._src import core as _core  # JaxprEqnContext: no public API

    def with_tag(ctx, tag: str):
        metadata = dict(ctx.xla_metadata or {})
        metadata[TAG] = tag
        return _core.JaxprEqnContext._create(
            ctx.compute_type, ctx.threefry_partitionable, ctx.cur_abstract_mesh,
            ctx.remove_size_one_mesh_axis, tuple(sorted(metadata.items())))

    def tag_params(params: dict, prefix: str) -> dict:
        counter = iter(range(1 << 30))  # nested jaxprs numbered in params order, as jaxpr_ir does
        new = {}
        for name, value in params.items():
            values = value if isinstance(value, tuple) else (value,)
            tagged = tuple(tag_value(v, prefix, counter) for v in values)
            new[name] = tagged if isinstance(value, tuple) else tagged[0]
        return new

    def tag_value(value: Any, prefix: str, counter) -> Any:
        if isinstance(value, jcore.ClosedJaxpr):
            return jcore.ClosedJaxpr(tag(value.jaxpr, f"{prefix}/g{next(counter)}/"),
                                     value.consts)
        if isinstance(value, jcore.Jaxpr):
            return tag(value, f"{prefix}/g{next(counter)}/")
        return value

    def tag(jaxpr, prefix: str):
        eqns = [eqn.replace(ctx=with_tag(eqn.ctx, f"{prefix}e{k}"),
                            params=tag_params(eqn.params, f"{prefix}e{k}"))
                for k, eqn in enumerate(jaxpr.eqns)]
        return jaxpr.replace(eqns=eqns)

    return jcore.ClosedJaxpr(tag(closed.jaxpr, ""), closed.consts)


def _lower(closed, name: str = "f"):
    """``jax.jit`` of the jaxpr, lowered for its input types; the module is named ``name``."""
    fn = jcore.jaxpr_as_fun(closed)
    specs = [jax.ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in closed.jaxpr.invars]

    def run(*args):
        return fn(*args)
    run.__name__ = run.__qualname__ = name
    return jax.jit(run).lower(*specs)


def _function_name(title: str) -> str:
    """``loss`` from ``jit(grad(loss))``."""
    return title.rsplit("(", 1)[-1].strip(")") or "f"


def below_stages(closed, source: Stage, tail: list[str], first_index: int) -> list[Stage]:
    """The ``lower`` and/or ``compile`` stages after the jaxpr stage ``source``."""
    start = time.perf_counter()
    via = "tag"
    name = _function_name(source.title)
    try:
        lowered = _lower(tag_jaxpr(closed), name)
    except (ImportError, AttributeError, TypeError):  # JAX's internals moved: no tags
        lowered, via = _lower(closed, name), "op_name"
    lowered_at = time.perf_counter()
    stages, index = [], first_index
    if "lower" in tail:
        stages.append(_lowered_stage(lowered, source, index, lowered_at - start))
        index += 1
    if "compile" in tail:
        stages.append(_compiled_stage(lowered, source, index, via, lowered_at - start))
    return stages


def _lowered_stage(lowered, source: Stage, index: int, seconds: float) -> Stage:
    text = strip_tags(lowered.as_text())
    module = parse_module(without_debug_sections(lowered.as_text(dialect="hlo")))
    graph = hlo_graph(module, f"lower({source.title})")
    stage = Stage(index=index, title=f"lower({source.title})", jaxpr=text,
                  equations=instruction_count(module), graph=graph, transform="lower",
                  dialect="stablehlo", source_stage=source.index)
    stage.timings = {"lower": seconds}
    stage.notes = [{"kind": "lowered", "line": None, "hint": "", "message":
                    "The graph is the HLO that this StableHLO converts to, before XLA's "
                    "passes; the text is the StableHLO."}]
    return stage


def _compiled_stage(lowered, source: Stage, index: int, via: str, lower_s: float) -> Stage:
    start = time.perf_counter()
    compiled = lowered.compile()
    compiled_at = time.perf_counter()
    raw = without_debug_sections(compiled.as_text())
    module = parse_module(raw)
    placements = (fusion_map if via == "tag" else op_name_map)(module, source.graph)
    stage = Stage(index=index, title=f"compile({source.title})", jaxpr=strip_tags(raw),
                  equations=instruction_count(module), graph=hlo_graph(module, "compiled"),
                  transform="compile", dialect="hlo", source_stage=source.index)
    stage.fusions = {k: p.to_dict() for k, p in placements.items()}
    stage.reference = {"cost": _cost(compiled), "memory": _memory(compiled),
                 "platform": _platform(compiled), "map_via": via,
                 "map_summary": summary(placements)}
    stage.timings = {"lower": lower_s, "compile": compiled_at - start,
                     "map": time.perf_counter() - compiled_at}
    return stage


def _cost(compiled) -> dict[str, float]:
    try:
        cost = compiled.cost_analysis()
    except Exception:  # noqa: BLE001 - a backend without cost analysis
        return {}
    if isinstance(cost, (list, tuple)):
        cost = cost[0] if cost else {}
    return {k: float(cost[k]) for k in COST_KEYS if k in (cost or {})}


def _memory(compiled) -> dict[str, int]:
    try:
        stats = compiled.memory_analysis()
    except Exception:  # noqa: BLE001 - a backend without memory analysis
        return {}
    return {k: int(getattr(stats, k)) for k in MEMORY_KEYS if hasattr(stats, k)}


def _platform(compiled) -> str:
    try:
        devices = compiled.input_shardings[0][0].device_set if compiled.input_shardings[0] \
            else set()
        return sorted({d.platform for d in devices})[0] if devices else jax.default_backend()
    except Exception:  # noqa: BLE001 - no shardings for a program without arguments
        return jax.default_backend()
