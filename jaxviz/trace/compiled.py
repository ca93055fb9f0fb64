"""Below the jaxpr: the lowered (StableHLO) and compiled (optimized HLO) stages of a jaxpr.

Every equation is tagged before lowering with an XLA frontend attribute holding its graph IR
id (``jaxviz_eqn="e3/g0/e1"``); XLA carries frontend attributes through its passes onto the
instructions it makes, fused or not, so the compiled module says which equation each of its
instructions came from (``core/xla/fusion_map.py`` reads it). The tag is set on each equation's
context, in nested jaxprs too (scan, cond and while bodies, pjit, custom rules), which has no
public API: ``jax._src.core.JaxprEqnContext`` is used here, and when it is not there the map
falls back to JAX's ``op_name`` metadata and says so.

What is shown and measured (text, graph, ``cost_analysis``, ``memory_analysis``) is the
tagged build; tags are opaque to XLA's passes (``tests/trace/test_below.py`` checks that
the tagged and the plain build have the same instructions).
"""

from __future__ import annotations

import re
import time

import jax
from jax.extend import core as jcore

from jaxviz.core.ir.graph import INPUT, Stage
from jaxviz.core.xla.fusion_map import fusion_map, op_name_map, summary
from jaxviz.core.xla.hlo_ir import hlo_graph, instruction_count
from jaxviz.core.xla.hlo_text import parse_module, strip_tags, without_debug_sections
from jaxviz.trace.jaxpr_walk import holds_jaxpr, replace_jaxprs

TAG = "jaxviz_eqn"
COST_KEYS = ("flops", "transcendentals", "bytes accessed", "optimal_seconds")
MEMORY_KEYS = ("argument_size_in_bytes", "output_size_in_bytes", "alias_size_in_bytes",
               "temp_size_in_bytes", "generated_code_size_in_bytes")


def tag_jaxpr(closed):
    """A copy of the closed jaxpr whose every equation (nested ones too) carries its IR id.
    Params are rebuilt only where they hold a jaxpr, each with its own type
    (``jaxpr_walk.replace_jaxprs``): a ``ConvDimensionNumbers`` stays one."""
    from jax._src import core as _core  # JaxprEqnContext: no public API

    def with_tag(ctx, tag: str):
        metadata = dict(ctx.xla_metadata or {})
        metadata[TAG] = tag
        return _core.JaxprEqnContext._create(
            ctx.compute_type, ctx.threefry_partitionable, ctx.cur_abstract_mesh,
            ctx.remove_size_one_mesh_axis, tuple(sorted(metadata.items())))

    def tag_params(params: dict, prefix: str) -> dict:
        if not holds_jaxpr(params):
            return params
        counter = iter(range(1 << 30))  # nested jaxprs numbered in params order, as jaxpr_ir does

        def rebuild(value):
            sub_prefix = f"{prefix}/g{next(counter)}/"
            if isinstance(value, jcore.ClosedJaxpr):
                return jcore.ClosedJaxpr(tag(value.jaxpr, sub_prefix), value.consts)
            return tag(value, sub_prefix)
        return {name: replace_jaxprs(value, rebuild) for name, value in params.items()}

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
    name = _function_name(source.title)
    lowered, via, why = _lower_tagged(closed, name)
    lowered_at = time.perf_counter()
    stages, index = [], first_index
    if "lower" in tail:
        stages.append(_lowered_stage(lowered, source, index, lowered_at - start))
        index += 1
    if "compile" in tail:
        compile_start = time.perf_counter()
        try:
            compiled = lowered.compile()
        except Exception as error:  # noqa: BLE001 - the plain build decides whose fault it is
            if via != "tag":
                raise
            lowered, via, why = _lower(closed, name), "op_name", _reason("compile", error)
            compiled = lowered.compile()
        timings = {"lower": lowered_at - start, "compile": time.perf_counter() - compile_start}
        stages.append(_compiled_stage(compiled, source, index, via, timings, closed))
    for stage in stages:
        if why:
            stage.notes.append({"kind": "untagged", "line": None, "hint": "", "message": why})
    return stages


def _lower_tagged(closed, name: str):
    """(lowered, how equations map to kernels, why tags were dropped): the tagged build, or
    the plain one where tagging or its lowering fails, so that jaxviz never fails a compile
    that plain JAX does (a failure of the plain build is the user's, and is raised)."""
    try:
        return _lower(tag_jaxpr(closed), name), "tag", ""
    except Exception as error:  # noqa: BLE001 - any failure of ours: lower as JAX would
        return _lower(closed, name), "op_name", _reason("lower", error)


def _reason(step: str, error: Exception) -> str:
    return (f"The kernel map fell back to XLA's op_name metadata: the tagged build failed to "
            f"{step} ({type(error).__name__}: {str(error)[:200]}), the plain one did not.")


def _lowered_stage(lowered, source: Stage, index: int, seconds: float) -> Stage:
    text = strip_tags(lowered.as_text())
    module = parse_module(without_debug_sections(lowered.as_text(dialect="hlo")))
    graph = named_parameters(hlo_graph(module, f"lower({source.title})"), source)
    stage = Stage(index=index, title=f"lower({source.title})", jaxpr=text,
                  equations=instruction_count(module), graph=graph, transform="lower",
                  dialect="stablehlo", source_stage=source.index)
    stage.timings = {"lower": seconds}
    stage.notes = [{"kind": "lowered", "line": None, "hint": "", "message":
                    "The graph is the HLO that this StableHLO converts to, before XLA's "
                    "passes; the text is the StableHLO."}]
    return stage


def _compiled_stage(compiled, source: Stage, index: int, via: str, timings: dict,
                    closed=None) -> Stage:
    compiled_at = time.perf_counter()
    raw = without_debug_sections(compiled.as_text())
    module = parse_module(raw)
    placements = (fusion_map if via == "tag" else op_name_map)(module, source.graph)
    stage = Stage(index=index, title=f"compile({source.title})", jaxpr=strip_tags(raw),
                  equations=instruction_count(module),
                  graph=named_parameters(hlo_graph(module, "compiled"), source),
                  transform="compile", dialect="hlo", source_stage=source.index)
    stage.fusions = {k: p.to_dict() for k, p in placements.items()}
    stage.reference = {"cost": _cost(compiled), "memory": _memory(compiled),
                       "platform": _platform(compiled), "map_via": via,
                       "map_summary": summary(placements), "partitions": _partitions(raw)}
    stage.reference["collectives"] = _collectives(closed, module, stage, source)
    stage.timings = {**timings, "map": time.perf_counter() - compiled_at}
    return stage


def _collectives(closed, module, compiled: Stage, source: Stage) -> list[dict]:
    """The collectives of a partitioned program, each with the equations it serves (the XLA
    tab lists them; ``jaxviz sharding`` says more). [] when not partitioned."""
    from jaxviz.core.xla.collectives import collectives
    from jaxviz.core.xla.mesh import MeshAxes
    from jaxviz.core.xla.sharding_report import attach_equations
    from jaxviz.trace.meshes import mesh_in_jaxpr

    parts = compiled.reference.get("partitions", 1)
    if parts < 2:
        return []
    mesh = mesh_in_jaxpr(closed) if closed is not None else None
    axes = MeshAxes(list(mesh.axis_names), list(mesh.devices.shape)) \
        if mesh is not None and mesh.devices.size == parts else MeshAxes(["devices"], [parts])
    found = collectives(module, axes, parts)
    attach_equations(found, source.graph)
    return found


def named_parameters(graph, source: Stage):
    """The entry's parameters named as the jaxpr stage names its inputs (``params[0]['w']``,
    not XLA's ``Arg_0.1``), where they are the same inputs, one for one."""
    names = [n.display_name for n in source.graph.nodes if n.kind == INPUT]
    params = sorted((n for n in graph.nodes if n.kind == INPUT),
                    key=lambda n: int(n.id.removeprefix("in")))
    if len(names) == len(params):
        for node, name in zip(params, names):
            node.display_name = name or node.display_name
    return graph


def _partitions(hlo_text: str) -> int:
    """Over how many devices XLA's SPMD partitioner split the program (``num_partitions`` in
    the module's header); its cost and memory analyses count one device's share."""
    header = hlo_text.split("\n", 1)[0]
    found = re.search(r"num_partitions=(\d+)", header)
    return int(found.group(1)) if found else 1


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
