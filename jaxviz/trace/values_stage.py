"""A stage of the user's pipeline run on values (``values`` evaluates; this module prepares
the stage, its arguments and the plain-data result that the worker, the CLI and the API give).

``evaluate_stage`` traces the stage from the source as a trace does, gives abstract arguments
seeded values, evaluates it equation by equation and returns the statistics by node id, the
first problems and (for the API) the outputs' arrays; with ``against``, another stage runs on
the same values and the two are compared (``values_compare``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import jax

from jaxviz.core.errors import ErrorInfo
from jaxviz.core.ir.labels import equation_name
from jaxviz.core.pipeline_spec import parse_pipeline, split_below
from jaxviz.core.value_stats import HUGE
from jaxviz.trace.args import seeded
from jaxviz.trace.devices import InputError, stage_index
from jaxviz.trace.explain import explain
from jaxviz.trace.values import Recorder, Stopped, evaluate_closed, stats_of
from jaxviz.trace.values_compare import Comparer, Keeper, against_xla, compared, paired_ids


@dataclasses.dataclass
class _Traced:
    """A stage traced on (seeded) values, ready to run."""

    closed: object
    stage: object  # core.ir.Stage
    leaves: list
    seeded: list[str]


def evaluate_stage(source: str, filename: str, function: str, args_text: str,
                   pipeline: str = "", stage: int = -1, threshold: float = HUGE,
                   stop_at_nonfinite: bool = False,
                   against: int | str | None = None) -> dict:
    """Evaluate the pipeline's jaxpr stage ``stage`` (a lower or compile stage: the jaxpr
    stage it came from) on the user's arguments; plain data, and the outputs' arrays under
    ``"arrays"`` (for the API; the worker leaves them out). ``against``: another stage run on
    the same values, and compared (``values_compare``); ``"xla"``: the stage run as one XLA
    program (``jax.jit``), its outputs compared."""
    from jaxviz.trace.session import prepare

    prepared, error = prepare(source, filename, function, args_text, pipeline)
    if error:
        raise InputError(error)
    titles = [p.title for p in prepared.plans]
    below = len(split_below(parse_pipeline(pipeline))[1])
    if stage >= len(titles) + below:
        raise _no_stage(stage, titles, below, "to evaluate")
    index = stage_index(stage, titles)
    against = _against(against, index, titles, below)
    main = _traced(prepared, index, filename)
    if against is None or against == "xla":
        result = _run(main, prepared, filename, threshold, stop_at_nonfinite)
        if against == "xla":
            result["compared"] = against_xla(result, main.closed, main.leaves, filename)
        return result
    other = _traced(prepared, against, filename)
    partner = paired_ids(main.stage, other.stage)
    keeper = Keeper(set(partner.values()))
    second = _run(other, prepared, filename, threshold, False, keeper)
    comparer = Comparer(partner, keeper.kept)
    result = _run(main, prepared, filename, threshold, stop_at_nonfinite, comparer)
    result["compared"] = compared(result, second, comparer, keeper)
    return result


def _against(against: int | str | None, index: int, titles: list[str], below: int
             ) -> int | str | None:
    """The stage to compare with, as an index of the jaxpr stages; a lower or compile stage
    of the pipeline (``below`` of them): ``"xla"`` (its jaxpr run as one XLA program); past
    them, or the stage itself: an error that lists the stages."""
    if against is None or against == "xla":
        return against
    if len(titles) <= against < len(titles) + below:
        return "xla"
    if against >= len(titles) + below:
        raise _no_stage(against, titles, below, "to compare with")
    found = stage_index(against, titles)
    if found == index:
        raise InputError(ErrorInfo(kind="arguments", message=f"Stage {found} "
                                   f"({titles[found]}) against itself compares nothing.",
                                   hint="give --against another stage, or xla"))
    return found


def _no_stage(k: int, titles: list[str], below: int, what: str) -> InputError:
    listing = ", ".join(f"{i}: {t}" for i, t in enumerate(titles))
    return InputError(ErrorInfo(kind="arguments", message=f"There is no stage {k} {what}: the "
                                f"pipeline's jaxpr stages are {listing}"
                                + (f", then {below} below the jaxpr" if below else "") + ".",
                                hint=f"give a stage from 0 to {len(titles) + below - 1}"))


def _traced(prepared, index: int, filename: str) -> _Traced:
    from jaxviz.trace.session import trace_closed

    plan = prepared.plans[index]
    args, kwargs, seeded_leaves = seeded(plan.args, plan.kwargs)
    plan = dataclasses.replace(plan, args=args, kwargs=kwargs)
    try:
        closed, ir = trace_closed(plan, prepared.static, filename, prepared.static_names,
                                  prepared.namespace, text_only=False)
    except Exception as exc:  # noqa: BLE001 - the user's code: explained
        raise InputError(explain(exc, filename, plan.title)) from None
    return _Traced(closed, ir, flat_inputs(plan, prepared.static, prepared.static_names),
                   seeded_leaves)


def _run(traced: _Traced, prepared, filename: str, threshold: float, stop: bool,
         watch: Callable | None = None) -> dict:
    result = evaluate_traced(traced.closed, traced.leaves, traced.stage.graph,
                             traced.stage.title, threshold, stop, filename, watch)
    result["seeded"] = traced.seeded
    _name_rule(result["first_nonfinite"], traced.stage.graph, prepared.namespace, filename)
    return result


def evaluate_traced(closed, leaves: list, graph, title: str, threshold: float = HUGE,
                    stop_at_nonfinite: bool = False, filename: str = "<editor>",
                    watch: Callable | None = None) -> dict:
    """Evaluate a traced stage (its closed jaxpr, flat inputs and graph IR)."""
    rec = Recorder({n.id: n for n in graph.walk_nodes()}, _group_labels(graph), threshold,
                   stop_at_nonfinite, watch=watch)
    start, outputs, stopped = time.perf_counter(), None, ""
    try:
        outputs = evaluate_closed(closed, leaves, rec)
    except Stopped as stop:
        stopped = str(stop)
    except Exception as exc:  # noqa: BLE001 - a primitive that fails on these values
        raise InputError(_failed(exc, filename, title, rec)) from None
    return _result(title, rec, outputs, stopped, time.perf_counter() - start, graph)


def _group_labels(graph) -> Callable[[str], str]:
    """The label of the innermost group the picture draws around a node (made when first
    asked: only a problem's node needs it)."""
    made: list = []

    def label(nid: str) -> str:
        if not made:
            from jaxviz.core.model.graph_model import GraphModel
            made.append(GraphModel(graph))
        model = made[0]
        chain = model.ancestors(nid)
        return model.groups[chain[0]].label if chain else ""
    return label


def _name_rule(problem: dict | None, graph, namespace: dict, filename: str) -> None:
    """Say which rule of a ``custom_vjp``/``custom_jvp`` of the user's the problem was made in
    (JAX's jaxpr gives a rule's equations the line of the call, not the rule's own)."""
    node = next((n for n in graph.walk_nodes() if problem and n.id == problem["node"]), None)
    if node is None or not node.library_call:
        return
    rule = _rule(namespace.get(node.library_call), node.transforms or [])
    code = getattr(rule, "__code__", None)
    if code is not None and code.co_filename == filename:
        problem["rule"] = {"name": code.co_name, "line": code.co_firstlineno}
        # the user's rule made it, not JAX's transpose of the call: say so where it is said
        problem["words"] = problem["words"].replace(", made by the transpose of line",
                                                    ", in the custom rule of the call at line")
        problem["words"] += f", in the rule `{code.co_name}` (line {code.co_firstlineno})"


def _rule(custom, transforms: list[str]):
    """The function of a custom-derivative function that made an equation of these
    transforms: the backward rule under transpose, the forward (or jvp) rule under jvp."""
    if isinstance(custom, jax.custom_vjp):
        return getattr(custom, "bwd" if "transpose" in transforms else
                       "fwd" if "jvp" in transforms else "fun", None)
    if isinstance(custom, jax.custom_jvp):
        return getattr(custom, "jvp" if "jvp" in transforms else "fun", None)
    return None


def flat_inputs(plan, static: tuple, static_names: tuple) -> list:
    dynamic = [a for i, a in enumerate(plan.args) if i not in static]
    kwargs = {k: v for k, v in plan.kwargs.items() if k not in static_names}
    return jax.tree_util.tree_leaves((dynamic, kwargs))


def _failed(exc: Exception, filename: str, title: str, rec: Recorder) -> ErrorInfo:
    info = explain(exc, filename, f"evaluating {title}")
    info.message = f"Evaluating failed after {rec.count} equations: {info.message}"
    return info


def _result(title: str, rec: Recorder, outputs, stopped: str, seconds: float, graph) -> dict:
    stats = rec.finished()
    outs = [stats_of(v) for v in outputs] if outputs is not None else []
    zero = [i for i, s in enumerate(outs) if s.get("size") and s.get("zeros") == s["size"]]
    return {"stage": title, "equations": stats, "names": _names(graph, stats),
            "outputs": outs, "all_zero_outputs": zero,
            "branches": rec.branches,
            "iterations": {k: v[0]["iterations"] for k, v in rec.loops.items() if v},
            "first_nonfinite": _problem(rec, "nonfinite"), "first_huge": _problem(rec, "huge"),
            # only when an output is all zeros: a backward pass makes zeros of its own (the
            # select of a one-hot label) that never reach a gradient
            "first_all_zero": _problem(rec, "all_zero") if zero else None,
            "threshold": rec.threshold, "stopped": stopped, "seeded": [],
            "seconds": seconds, "arrays": outputs}


def _names(graph, stats: dict) -> dict[str, str]:
    """The one name of each evaluated equation (``bq = broadcast_in_dim``), by node id."""
    nodes = {n.id: n for n in graph.walk_nodes()}
    return {nid: equation_name(nodes[nid]) for nid in stats if nid in nodes}


def _problem(rec: Recorder, kind: str) -> dict | None:
    found = rec.first.get(kind)
    return found.to_dict() if found else None


def plain(result: dict) -> dict:
    """The result without its arrays: what the worker sends and ``--json`` prints."""
    return {k: v for k, v in result.items() if k != "arrays"}

