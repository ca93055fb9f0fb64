"""Facts read off a jaxpr without building its graph: where an equation comes from in the
user's file, how many equations it has (printed and counted), and the text-only stage that
``jaxviz trace`` prints (the graph IR costs more than the trace at 20,000 equations)."""

from __future__ import annotations

from jax.extend import core as jcore

from jaxviz.core.ir import Graph, Stage


def eqn_location(eqn, user_file: str, seen: dict | None = None) -> tuple:
    """Line, column and end column of the innermost user frame, and the user's functions
    around it (outermost first) with the line each is at. ``seen``: what earlier calls
    learnt of each frame (a loop's equations share their frames: 20,000 equations, a few
    hundred frames)."""
    tb = eqn.source_info.traceback
    if tb is None:
        return None, None, None, [], []
    try:
        codes, lastis = tb.raw_frames()
        frames = [(c, i) for c, i in zip(codes, lastis) if c.co_filename == user_file
                  and c.co_name != "<module>"]
        if not frames:
            return None, None, None, [], []
        where = _locations(type(tb), frames, {} if seen is None else seen)
        line, col, end = where[0][0], where[0][1], where[0][3]
        return (line, col, end, [c.co_name for c, _ in reversed(frames)],
                [w[0] for w in reversed(where)])
    except (AttributeError, TypeError):  # older jaxlib: whole-line locations only
        user = [f for f in tb.frames if f.file_name == user_file]
        if not user:
            return None, None, None, [], []
        return (user[0].line_num, None, None, [f.function_name for f in reversed(user)],
                [f.line_num for f in reversed(user)])


def _locations(traceback_type, frames: list, seen: dict) -> list[tuple]:
    """(line, column, end line, end column) of each (code, offset), from ``seen`` if known."""
    where = []
    for frame in frames:
        found = seen.get(frame)
        if found is None:
            found = seen[frame] = traceback_type.code_addr2location(*frame)
        where.append(found)
    return where


def constant_lines(closed, user_file: str) -> list[int | None]:
    """For each constant of the jaxpr, the user's line of the first equation that reads it."""
    first: dict = {}
    for eqn in closed.jaxpr.eqns:
        for atom in eqn.invars:
            if not isinstance(atom, jcore.Literal) and atom not in first:
                first[atom] = eqn
    return [eqn_location(first[v], user_file)[0] if v in first else None
            for v in closed.jaxpr.constvars]


def text_stage(closed, index: int, title: str, transform: str = "") -> Stage:
    """A stage with JAX's text and counts but no graph: what ``jaxviz trace`` prints needs no
    more, and building the graph costs more than the trace at 20,000 equations."""
    return Stage(index=index, title=title, jaxpr=str(closed), equations=_equation_count(
        closed.jaxpr), graph=Graph(name=title), transform=transform,
        printed_equations=printed_count(closed.jaxpr))


def _equation_count(jaxpr) -> int:
    """Equations here and in every nested jaxpr, one used N times counted N times (as
    ``Graph.equation_count`` counts the IR)."""
    return sum(1 + sum(_equation_count(sub) for sub in jcore.jaxprs_in_params(eqn.params))
               for eqn in jaxpr.eqns)


def printed_count(jaxpr) -> int:
    """Equations as JAX prints them: each distinct nested jaxpr counted once."""
    seen, count, stack = set(), 0, [jaxpr]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        count += len(current.eqns)
        for eqn in current.eqns:
            stack.extend(jcore.jaxprs_in_params(eqn.params))
    return count
