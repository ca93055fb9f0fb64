"""A stage compiled over a device mesh, and what XLA's SPMD partitioner made of it.

The last jaxpr stage of the pipeline is traced (its ``jit(in_shardings=P(...))`` over the
mesh named on the command line, or the mesh its own ``shard_map`` or sharding constraints
use), tagged as ``compiled.py`` tags it, and compiled with the shardings the user asked for.
XLA is asked to dump the module just before partitioning (``xla_dump_hlo_pass_re``): that
module has every instruction's sharding as propagation chose it, on its global shape. The
partitioned module (``compiled.as_text()``) has the collectives. ``core/xla/sharding_report.py``
reads both.
"""

from __future__ import annotations

import glob
import tempfile
from pathlib import Path

import jax
import numpy as np
from jax.extend import core as jcore

from jaxviz.core.errors import ErrorInfo
from jaxviz.core.pipeline_spec import (
    PipelineError,
    PSpec,
    parse_pipeline,
    parse_shardings,
    spec_axes,
    with_jit_options,
)
from jaxviz.core.xla.hlo_text import parse_module, without_debug_sections
from jaxviz.core.xla.mesh import MeshAxes, MeshError, check_devices, check_divides, parse_mesh
from jaxviz.core.xla.sharding_diff import diff, parse_what_if
from jaxviz.core.xla.sharding_report import mark_asked, report
from jaxviz.trace.compiled import _cost, _memory, _partitions, tag_jaxpr
from jaxviz.trace.devices import InputError
from jaxviz.trace.explain import explain
from jaxviz.trace.jaxpr_walk import walk_equations
from jaxviz.trace.meshes import mesh_in_jaxpr
from jaxviz.trace.pipeline import ArgumentShapeError, mesh_for, pipeline_mesh

DUMP_PASS = "spmd-partitioning"


def user_error(message: str, kind: str = "arguments") -> InputError:
    return InputError(ErrorInfo(kind=kind, message=message))


def make_mesh(text: str):
    """A jax Mesh from ``data=4,model=2`` over the first devices, or a plain error."""
    try:
        axes = parse_mesh(text)
        check_devices(axes, jax.device_count())
    except MeshError as exc:
        raise user_error(str(exc)) from None
    devices = np.array(jax.devices()[: axes.devices]).reshape(axes.sizes)
    return jax.sharding.Mesh(devices, tuple(axes.names))


def sharding_run(
    source: str,
    filename: str,
    function: str,
    args_text: str,
    pipeline: str = "",
    mesh_text: str = "",
    in_shardings: str = "",
    what_if: str = "",
) -> dict:
    """The report of the stage as asked; with ``what_if``, also the report of the same
    function under the changed shardings or mesh, and the diff of the two."""
    try:
        given = {"in_shardings": parse_shardings(in_shardings)} if in_shardings else {}
        pipeline = with_jit_options(pipeline, given)
        other = _what_if_plan(pipeline, mesh_text, what_if) if what_if else None
    except PipelineError as exc:
        raise user_error(str(exc), "pipeline") from None
    result = partitioned(source, filename, function, args_text, pipeline, mesh_text)
    result["pipeline"] = pipeline
    if other is not None:
        report_b = partitioned(source, filename, function, args_text, *other)
        report_b["pipeline"] = other[0]
        result["what_if"] = {"text": what_if, "report": report_b, "diff": diff(result, report_b)}
    return result


def _what_if_plan(pipeline: str, mesh_text: str, what_if: str) -> tuple[str, str]:
    """(pipeline, mesh) of the what-if: the given ones with its changes."""
    changes = parse_what_if(what_if)
    other_mesh = changes.pop("mesh", mesh_text)
    if not isinstance(other_mesh, str):
        raise PipelineError(
            f"--what-if mesh={other_mesh!r}: give the mesh as text, e.g. mesh='data=8'"
        )
    return with_jit_options(pipeline, changes), other_mesh


def partitioned(
    source: str,
    filename: str,
    function: str,
    args_text: str,
    pipeline: str = "",
    mesh_text: str = "",
) -> dict:
    """The sharding report of the pipeline's last jaxpr stage (plain data)."""
    from jaxviz.trace.session import prepare, trace_closed

    mesh = make_mesh(mesh_text) if mesh_text else _pipeline_mesh(pipeline)
    _check_axes(pipeline, mesh)
    with pipeline_mesh(mesh):
        prepared, error = prepare(source, filename, function, args_text, pipeline)
        if error:
            raise InputError(error)
        plan = prepared.plans[-1]
        check_args_divide(pipeline, plan.args, mesh)
        try:
            closed, stage = trace_closed(
                plan, prepared.static, filename, prepared.static_names, prepared.namespace
            )
        except Exception as exc:  # noqa: BLE001 - the user's code: explained
            raise InputError(explain(exc, filename, plan.title)) from None
    _check_own_mesh(closed, mesh)
    return stage_report(closed, stage, mesh, filename)


def _check_own_mesh(closed, mesh) -> None:
    """A program that partitions itself (shard_map, a sharding constraint) over a mesh whose
    axes --mesh does not name: a plain error, not a report under the wrong names."""
    own = mesh_in_jaxpr(closed)
    if mesh is None or own is None or tuple(own.axis_names) == tuple(mesh.axis_names):
        return
    axes = ",".join(f"{n}={s}" for n, s in zip(own.axis_names, own.devices.shape))
    raise user_error(f"The program partitions itself over its own mesh ({axes}); --mesh "
                     f"names other axes ({', '.join(mesh.axis_names)}). Fix: leave --mesh out "
                     f"(the program's mesh is used), or give its axes: --mesh '{axes}'")


def stage_report(closed, stage, mesh=None, filename: str = "<editor>") -> dict:
    """The sharding report of one traced stage (its closed jaxpr and IR stage); ``mesh``:
    a jax Mesh, else the one its own shardings use."""
    from jaxviz.trace.cost import stage_costs

    if not stage.costs:
        stage.costs = {k: c.to_dict() for k, c in stage_costs(closed, stage.graph).items()}
    return _report(closed, stage, mesh or mesh_in_jaxpr(closed), filename)


def _pipeline_mesh(pipeline: str):
    """Without --mesh: all devices along the one axis the pipeline's shardings name (None
    when they name none)."""
    try:
        value = [
            s.options.get("in_shardings")
            for s in parse_pipeline(pipeline)
            if s.name == "jit" and "in_shardings" in s.options
        ]
    except PipelineError:
        return None  # prepare says what is wrong with it
    if not value or not spec_axes(value[-1]):
        return None
    try:
        return mesh_for(value[-1])
    except ArgumentShapeError as exc:
        raise user_error(str(exc)) from None


def _check_axes(pipeline: str, mesh) -> None:
    """Axes named in the pipeline's shardings that the mesh lacks: a plain error."""
    if mesh is None:
        return
    try:
        specs = parse_pipeline(pipeline)
    except PipelineError:
        return  # prepare says what is wrong with it
    named = [
        a
        for s in specs
        for k in ("in_shardings", "out_shardings")
        for a in spec_axes(s.options.get(k))
    ]
    missing = [a for a in named if a not in mesh.axis_names]
    if missing:
        have = ",".join(f"{n}={s}" for n, s in mesh.shape.items())
        raise user_error(
            f"the pipeline's shardings name the axis {missing[0]!r}, which the "
            f"mesh {have} does not have. Fix: add it to --mesh, e.g. "
            f"--mesh '{have},{missing[0]}=1', or use the mesh's axis names"
        )


def _report(closed, stage, mesh, filename: str) -> dict:
    in_sh, out_sh = top_shardings(closed)
    compiled, before = compile_partitioned(closed, in_sh, out_sh, filename)
    axes = mesh_axes(mesh, compiled)
    xla = {"cost": _cost(compiled), "memory": _memory(compiled)}
    after_text = without_debug_sections(compiled.as_text())
    result = report(parse_module(after_text), before, stage, axes, _partitions(after_text), xla)
    mark_asked(result["edges"], asked_shardings(closed, in_sh, out_sh), axes)
    result["jax_outputs"] = [
        spec_dims(s, len(v.aval.shape))
        for s, v in zip(_flat(compiled.output_shardings), closed.jaxpr.outvars)
    ]
    return result


def top_shardings(closed) -> tuple:
    """The stage's own in/out shardings: those of a stage that is one ``jit`` of its inputs
    (a pipeline's ``jit(in_shardings=...)``), else unspecified (None)."""
    eqns = closed.jaxpr.eqns
    if (
        len(eqns) == 1
        and "in_shardings" in eqns[0].params
        and list(eqns[0].invars) == list(closed.jaxpr.invars)
    ):
        outs = (
            eqns[0].params["out_shardings"]
            if list(eqns[0].outvars) == list(closed.jaxpr.outvars)
            else None
        )
        return eqns[0].params["in_shardings"], outs
    return None, None


def check_args_divide(pipeline: str, args: list, mesh) -> None:
    """A plain error, before JAX's own, when an argument's dimension does not split evenly
    over the mesh axes the last jit's ``in_shardings`` give it."""
    specs = parse_pipeline(pipeline)
    value = specs[-1].options.get("in_shardings") if specs and specs[-1].name == "jit" else None
    if value is None or mesh is None:
        return
    if (
        isinstance(value, (tuple, list))
        and not isinstance(value, PSpec)
        and len(value) != len(args)
    ):
        raise user_error(
            f"in_shardings gives {len(value)} PartitionSpecs for {len(args)} "
            f"arguments. Fix: one per argument (a tuple of them for a pytree "
            f"argument), or a single P(...) for all"
        )
    axes = MeshAxes(list(mesh.axis_names), list(mesh.devices.shape))
    for path, spec, leaf in _spec_of_each_leaf(value, tuple(args)):
        _check_leaf(spec, leaf, f"argument{jax.tree_util.keystr(path)}", axes)


def _spec_of_each_leaf(value, args: tuple) -> list:
    """(path, spec, leaf) for every array of the arguments, by JAX's prefix rule (one spec
    for all, or a tree of specs over the arguments); [] when the trees do not match (JAX
    then says so itself)."""
    is_spec = lambda x: x is None or isinstance(x, PSpec)  # noqa: E731
    if isinstance(value, PSpec):
        value = tuple(value for _ in args)
    prefixes = jax.tree_util.tree_leaves_with_path(value, is_leaf=is_spec)
    subtrees: list = []
    try:
        jax.tree_util.tree_map(lambda _, sub: subtrees.append(sub), value, args, is_leaf=is_spec)
    except (ValueError, TypeError):
        return []
    return [
        (prefix + path, spec, leaf)
        for (prefix, spec), sub in zip(prefixes, subtrees)
        for path, leaf in jax.tree_util.tree_leaves_with_path(sub)
    ]


def _check_leaf(spec, leaf, where: str, axes: MeshAxes) -> None:
    shape = list(getattr(leaf, "shape", ()))
    if spec is None or not shape:
        return
    dims = [() if e is None else (e,) if isinstance(e, str) else tuple(e) for e in spec]
    try:
        check_divides(f"{where} ({shape})", shape, dims, axes)
    except MeshError as exc:
        raise user_error(str(exc)) from None


def compile_partitioned(closed, in_sh, out_sh, filename: str):
    """(compiled, module before partitioning or None)."""
    lowered = _lowered(closed, in_sh, out_sh, filename)
    with tempfile.TemporaryDirectory(prefix="jaxviz-spmd-") as folder:
        compiled = _compiled(lowered, folder, filename)
        found = sorted(glob.glob(f"{folder}/*before_spmd-partitioning.txt"))
        text = Path(found[-1]).read_text() if found else ""
    return compiled, parse_module(without_debug_sections(text)) if text else None


def _lowered(closed, in_sh, out_sh, filename: str):
    """The tagged build where it lowers, else the plain one (as ``compiled.below_stages``
    falls back); a failure of the plain one is the user's, explained."""
    try:
        return _lower(tag_jaxpr(closed), in_sh, out_sh)
    except Exception:  # noqa: BLE001, S110 - tagging failed: the plain build, as JAX would
        pass
    try:
        return _lower(closed, in_sh, out_sh)
    except Exception as exc:  # noqa: BLE001 - the user's program: explained
        raise InputError(explain(exc, filename, "lowering over the mesh")) from None


def _compiled(lowered, folder: str, filename: str):
    """Compiled with XLA dumping the module before partitioning into ``folder``; without
    the dump where this XLA refuses the options (the edges are then not read)."""
    try:
        return lowered.compile(
            compiler_options={"xla_dump_to": folder, "xla_dump_hlo_pass_re": DUMP_PASS}
        )
    except Exception:  # noqa: BLE001, S110 - compiled again without them, below
        pass
    try:
        return lowered.compile()
    except Exception as exc:  # noqa: BLE001 - the user's program: explained
        raise InputError(explain(exc, filename, "compiling over the mesh")) from None


def _lower(closed, in_sh, out_sh):
    fn = jcore.jaxpr_as_fun(closed)

    def run(*args):
        return tuple(fn(*args))

    options = {k: v for k, v in (("in_shardings", in_sh), ("out_shardings", out_sh)) if v}
    specs = [jax.ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in closed.jaxpr.invars]
    # every argument kept: HLO's parameter k must stay the jaxpr's input k, used or not
    return jax.jit(run, keep_unused=True, **options).lower(*specs)


def mesh_axes(mesh, compiled) -> MeshAxes:
    """The mesh as plain data, with the mesh position of each partition id."""
    if mesh is None:
        return MeshAxes(["devices"], [max(_partitions(compiled.as_text()), 1)])
    axes = MeshAxes(list(mesh.axis_names), list(mesh.devices.shape))
    flat = list(mesh.devices.flat)
    assigned = next(
        (
            getattr(s, "_device_assignment", None)
            for s in _flat(compiled.input_shardings) + _flat(compiled.output_shardings)
        ),
        None,
    )
    if assigned and all(d in flat for d in assigned):
        axes.order = [flat.index(d) for d in assigned]
    return axes


def _flat(tree) -> list:
    return jax.tree_util.tree_leaves(tree, is_leaf=lambda x: isinstance(x, jax.sharding.Sharding))


def spec_dims(sharding, rank: int) -> list[list[str]] | None:
    """A NamedSharding's mesh axes per dimension; None for other shardings."""
    spec = getattr(sharding, "spec", None)
    if spec is None or not isinstance(sharding, jax.sharding.NamedSharding):
        return None
    entries = list(spec) + [None] * (rank - len(spec))
    return [[] if e is None else [e] if isinstance(e, str) else list(e) for e in entries]


def asked_shardings(closed, in_sh, out_sh) -> dict[str, list[list[str]]]:
    """What the user asked for, by ``node:port``: the stage's in/out shardings and every
    ``with_sharding_constraint``."""
    asked = {}
    for k, (var, s) in enumerate(zip(closed.jaxpr.invars, in_sh or ())):
        asked[f"in{k}:0"] = spec_dims(s, len(var.aval.shape))
    for k, (var, s) in enumerate(zip(closed.jaxpr.outvars, out_sh or ())):
        asked[f"out{k}:0"] = spec_dims(s, len(var.aval.shape))
    for node_id, eqn in walk_equations(closed.jaxpr):
        if eqn.primitive.name == "sharding_constraint":
            asked[f"{node_id}:0"] = spec_dims(
                eqn.params.get("sharding"), len(eqn.outvars[0].aval.shape)
            )
    return {k: v for k, v in asked.items() if v is not None}
