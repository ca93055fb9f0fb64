"""Facts read off a jaxpr without building its graph: where an equation comes from in the
user's file, how many equations it has (printed and counted), and the text-only stage that
``jaxviz trace`` prints (the graph IR costs more than the trace at 20,000 equations)."""

from __future__ import annotations

from jax.extend import core as jcore

from jaxviz.core.ir.graph import Graph, Stage
from jaxviz.trace.jaxpr_walk import jaxprs_in_params
from jaxviz.trace.library_calls import callee_name


def eqn_location(eqn, user_file: str, seen: dict | None = None) -> tuple:
    """Line, column and end column of the innermost user frame, the user's functions around
    it (outermost first) with the line each is at, and the library call it made there (""
    when the equation comes from the user's own frame). ``seen``: what earlier calls learnt
    of each frame (a loop's equations share their frames: 20,000 equations, a few hundred
    frames)."""
    none = (None, None, None, [], [], "")
    tb = eqn.source_info.traceback
    if tb is None:
        return none
    try:
        codes, lastis = tb.raw_frames()
        frames = [(c, i) for c, i in zip(codes, lastis) if c.co_filename == user_file
                  and c.co_name != "<module>"]
        if not frames:
            return none
        seen = {} if seen is None else seen
        where = _locations(type(tb), frames, seen)
        line, col, end = where[0][0], where[0][1], where[0][3]
        return (line, col, end, [frame_name(c) for c, _ in reversed(frames)],
                [w[0] for w in reversed(where)], _library_call(codes, frames[0], where[0],
                                                               user_file, seen))
    except (AttributeError, TypeError):  # older jaxlib: whole-line locations only
        user = [f for f in tb.frames if f.file_name == user_file]
        if not user:
            return none
        return (user[0].line_num, None, None, [f.function_name for f in reversed(user)],
                [f.line_num for f in reversed(user)], "")


def frame_name(code) -> str:
    """A user function's name for its group: a module's ``__call__`` is the module's class
    (``MLP``, not ``__call__``)."""
    if code.co_name == "__call__":
        owner = getattr(code, "co_qualname", "").rpartition(".")[0].rpartition(".")[2]
        return owner or code.co_name
    return code.co_name


def _library_call(codes, innermost: tuple, where: tuple, user_file: str, seen: dict) -> str:
    """The callee the innermost user frame called, when that is not the user's own code."""
    key = ("call", innermost)  # one call site calls one callee: learnt once per frame
    if key not in seen:
        index = codes.index(innermost[0])
        library = index > 0 and codes[index - 1].co_filename != user_file
        seen[key] = callee_name(user_file, where[0], where[1], where[2], where[3],
                                codes[index - 1].co_name) if library else ""
    return seen[key]


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
    return Stage(index=index, title=title, jaxpr=plain_text(closed), equations=_equation_count(
        closed.jaxpr), graph=Graph(name=title), transform=transform,
        printed_equations=printed_count(closed.jaxpr))


def plain_text(closed) -> str:
    """JAX's text of the jaxpr, never coloured: ``str()`` adds terminal colour codes where
    JAX thinks it may (a Jupyter kernel), which a notebook's HTML or a file would show raw."""
    return closed.pretty_print(use_color=False)


def _equation_count(jaxpr) -> int:
    """Equations here and in every nested jaxpr, one used N times counted N times (as
    ``Graph.equation_count`` counts the IR)."""
    return sum(1 + sum(_equation_count(sub) for sub in jaxprs_in_params(eqn.params))
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
            stack.extend(jaxprs_in_params(eqn.params))
    return count


# Effects that are bookkeeping, not something that happens when the program runs: a
# collective's axis name (psum under shard_map carries one)
NOT_SIDE_EFFECTS = {"NamedAxisEffect"}


def side_effects(effects) -> list[str]:
    """The names of the effects that happen at run time (printing, callbacks, I/O)."""
    return sorted({type(e).__name__ for e in effects} - NOT_SIDE_EFFECTS)


def dead_equations(jaxpr) -> set[int]:
    """Indices of the equations jit's dead-code elimination would drop: no effect, and no
    result used by the jaxpr's outputs, directly or through equations that are kept."""
    live = {v for v in jaxpr.outvars if not isinstance(v, jcore.Literal)}
    dead = set()
    for k in range(len(jaxpr.eqns) - 1, -1, -1):
        eqn = jaxpr.eqns[k]
        if eqn.effects or any(v in live for v in eqn.outvars if not isinstance(v, jcore.DropVar)):
            live.update(v for v in eqn.invars if not isinstance(v, jcore.Literal))
        else:
            dead.add(k)
    return dead


def stack_parts(name_stack) -> tuple[list[str], list[str]]:
    """Named scopes (verbatim: a scope may hold "/" or parentheses) and transform names of a
    name stack, read from its entries rather than its text."""
    scopes, transforms = [], []
    for entry in getattr(name_stack, "stack", ()):
        name = str(getattr(entry, "name", ""))
        (scopes if type(entry).__name__ == "Scope" else transforms).append(name)
    return scopes, transforms
