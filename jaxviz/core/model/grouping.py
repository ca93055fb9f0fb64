"""Groups read from the source information: the user's own functions, and loop iterations.

A flat jaxpr of 20,000 equations is unreadable as one picture; the user wrote it as a loop over
``block(p, x)`` calls. Each equation knows the user functions it was traced under and the line
each was at (``Node.user_frames``/``user_lines``). Contiguous runs of equations under the same
call (function name and the caller's line) form one group per call; a run whose line inside
the function goes back (forward pass) or forward (backward, transposed, pass), or that meets
again the equation it began with, starts a new call — the next iteration of the loop
that made the calls. In the traced function itself, such restarts mark loop iterations. Groups
of one equation, or holding nothing but one other group, are not worth a box and are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.graph import EQN, Node, transforms_of


@dataclass
class Run:
    """A group being filled: one call of a function, or one loop iteration."""

    key: tuple
    gid: str
    label: str
    parent: str | None
    level: int
    members: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    first: int = 0
    last: int = 0
    last_end: int = -1  # at the innermost user frame: the end column of the last expression
    anchor: int = 0  # its line in the traced function
    first_signature: tuple = ()  # of the equation that opened this run
    moved_on: bool = False  # an equation unlike the opening one has joined since


def _direction(node: Node) -> int:
    return -1 if "transpose" in transforms_of(node) else 1


LIBRARY = "library call"  # the first field of a library call's key
# how a library wraps its private helpers: one such equation is still a library call's box
# (a loop or a branch is the user's control flow, drawn as itself)
HELPER_CALLS = ("jit", "pjit", "custom_jvp_call", "custom_vjp_call")


def _path(node: Node) -> list[tuple]:
    """The call path: (traced function, direction), then (callee, caller's line, direction),
    then, for an equation a library call made, (LIBRARY, callee, line, column, direction)."""
    frames, lines = node.user_frames, node.user_lines
    if not frames or len(lines) != len(frames):
        return []
    d = _direction(node)
    path = [(frames[0], d)] + [(frames[k], lines[k - 1], d) for k in range(1, len(frames))]
    if node.library_call:
        path.append((LIBRARY, node.library_call, node.line, node.column, d))
    return path


def _lines(node: Node) -> list[int]:
    """The line each level of the path is at (a library call: its call site's)."""
    return node.user_lines + [node.line] if node.library_call else node.user_lines


def _signature(node: Node, level: int) -> tuple:
    """What identifies an equation's place in the code from ``level`` inwards; its named
    scopes too: haiku's ``linear_1`` repeats ``linear_0``'s equations, from another module."""
    return (tuple(node.user_lines[level:]), node.column, node.end_column, node.primitive,
            node.params_short, tuple(lit.text for lit in node.literals),
            tuple(p.type for p in node.outputs), tuple(node.scopes))


def _same_place(node: Node, level: int, signature: tuple) -> bool:
    """``_signature(node, level) == signature``, cheapest fields first: most equations differ
    from a run's first one in primitive or column, and building the tuple costs 6 µs."""
    return node.primitive == signature[3] and node.column == signature[1] \
        and node.end_column == signature[2] and _signature(node, level) == signature


def _restarts(run: Run, line: int, direction: int, node: Node, level: int) -> bool:
    """The same code runs again: the line went against the direction of execution, or the
    equation that opened this run comes again (same place, params and types) after others.
    Only the opening one counts, and only once the run has moved on: library code (softmax,
    the transpose of tanh) may emit twin equations from one line. At the innermost user
    frame the end column counts too: Python evaluates an expression's parts before it, so
    ends only grow along a line, and ``tanh(x @ w + b)`` called again starts again at
    ``x @ w``. A library call restarts only with its caller (its internals repeat)."""
    if run.key[0] == LIBRARY:
        return False
    here, last = (line, _end_at(node, level)), (run.last, run.last_end)
    if here[1] < 0 or last[1] < 0:
        here, last = here[:1], last[:1]
    backwards = here < last if direction > 0 else here > last
    return backwards or (run.moved_on and _same_place(node, level, run.first_signature))


def _end_at(node: Node, level: int) -> int:
    """The expression's end column when ``level`` is the innermost user frame, else -1."""
    innermost = level == len(node.user_frames) - 1
    return node.end_column if innermost and node.end_column is not None else -1


class FunctionGrouper:
    """Assigns a graph's equations to call and iteration groups."""

    def __init__(self, prefix: str, base: str | None, loop_spans: list[list[int]] | None = None):
        self.prefix, self.base = prefix, base
        self.loop_spans = loop_spans
        self.runs: dict[str, Run] = {}
        self.stack: list[Run] = []
        self.counts: dict[tuple, int] = {}
        self.lines: dict[str, int] = {}  # each equation's line in the traced function
        self.moved_out: dict[str, str | None] = {}  # equations taken out of an iteration
        self.holding: set[str] = set()  # a library's jit (or custom rule) of its helper
        self.next_id = 0

    def _open(self, key: tuple, level: int) -> Run:
        count_key = (key[0], key[-1]) if level else (key[0], "iteration", key[1])
        self.counts[count_key] = self.counts.get(count_key, 0) + 1
        n = self.counts[count_key]
        backward = " (backward)" if key[-1] < 0 else ""
        label = f"{key[0]} #{n}{backward}" if level else f"iteration {n}{backward}"
        if key[0] == LIBRARY:  # one call site: its line says which, not a number
            label = f"{key[1]} · line {key[2]}{backward}"
        parent = self.stack[-1].gid if self.stack else self.base
        run = Run(key, f"{self.prefix}u{self.next_id}", label, parent, level)
        self.next_id += 1
        self.runs[run.gid] = run
        if self.stack:
            self.stack[-1].children.append(run.gid)
        return run

    def place(self, node: Node) -> str | None:
        """The group an equation goes in (``base`` when none)."""
        path, lines, d = _path(node), _lines(node), _direction(node)
        depth = 0
        while (depth < len(self.stack) and depth < len(path) and self.stack[depth].key ==
               path[depth] and not _restarts(self.stack[depth], lines[depth], d,
                                             node, depth)):
            depth += 1
        del self.stack[depth:]
        for level in range(depth, len(path)):
            run = self._open(path[level], level)
            run.first = run.last = lines[level]
            run.last_end = _end_at(node, level)
            run.anchor = lines[0]
            run.first_signature = _signature(node, level)
            self.stack.append(run)
        for level, run in enumerate(self.stack):
            run.last = lines[level]
            run.last_end = _end_at(node, level)
            run.moved_on = run.moved_on or not _same_place(node, level, run.first_signature)
        if not self.stack:
            return self.base
        self.stack[-1].members.append(node.id)
        if node.subgraphs and node.primitive in HELPER_CALLS:
            self.holding.add(node.id)
        self.lines[node.id] = lines[0]
        return self.stack[-1].gid

    def trim_iterations(self) -> None:
        """Code before or after a loop lands in its first or last iteration (nothing restarts
        there): keep in an iteration only the lines that more than one iteration runs."""
        by_key: dict[tuple, list[Run]] = {}
        for run in self.runs.values():
            if run.level == 0:
                by_key.setdefault(run.key, []).append(run)
        for runs in by_key.values():
            seen: dict[int, int] = {}
            for run in runs:
                for line in {self.lines[m] for m in run.members} | {
                        self.runs[c].anchor for c in run.children}:
                    seen[line] = seen.get(line, 0) + 1
            body = {line for line, n in seen.items() if n > 1}
            for run in runs:
                outside = [m for m in run.members if self.lines[m] not in body]
                run.members = [m for m in run.members if self.lines[m] in body]
                self.moved_out.update({m: run.parent for m in outside})
                for child in run.children:
                    if self.runs[child].anchor not in body:
                        self.runs[child].parent = run.parent

    def number_backward_calls(self) -> None:
        """The backward pass runs the calls in reverse: its first is the forward's last, so
        number them from the end ("layer #3 (backward)" undoes "layer #3")."""
        by_kind: dict[tuple, list[Run]] = {}
        for run in self.runs.values():
            if run.key[-1] < 0 and run.key[0] != LIBRARY:
                by_kind.setdefault((run.key[0], run.level), []).append(run)
        for runs in by_kind.values():
            for n, run in enumerate(reversed(runs), start=1):
                word = run.label.split(" #")[0] if run.level else "iteration"
                run.label = f"{word} {n} (backward)" if not run.level else \
                    f"{word} #{n} (backward)"

    def unnumber_single_calls(self) -> None:
        """A function called once is just its name: ``loss_fn``, not ``loss_fn #1`` (which
        suggests a second call)."""
        calls: dict[tuple, list[Run]] = {}
        for run in self.runs.values():
            if run.level and run.key[0] != LIBRARY:
                calls.setdefault((run.key[0], run.key[-1]), []).append(run)
        for runs in calls.values():
            if len(runs) == 1:
                runs[0].label = runs[0].label.replace(" #1", "", 1)

    def kept(self) -> dict[str, Run]:
        """Groups worth showing: at least two equations, and iterations only of real loops."""
        self.trim_iterations()
        self.number_backward_calls()
        self.unnumber_single_calls()
        keep = {}
        sizes: dict[tuple, list[int]] = {}
        for run in self.runs.values():
            if run.level == 0:
                sizes.setdefault(run.key, []).append(self._size(run))
        loops = {key for key, found in sizes.items() if _looks_like_a_loop(found)
                 and self._in_source_loop(key)}
        for gid, run in self.runs.items():
            size = self._size(run)
            # a library call that is one jit of its private helper is a box all the same:
            # named after the call the user made, the helper inside it
            helper = run.key[0] == LIBRARY and any(m in self.holding for m in run.members)
            if size < 2 and not helper or (run.level == 0 and run.key not in loops):
                continue
            if not run.members and sum(self.runs[c].parent == gid for c in run.children) == 1:
                continue  # a box holding just one box: the inner one says it all
            keep[gid] = run
        return keep

    def _in_source_loop(self, key: tuple) -> bool:
        """Whether the lines of these iterations lie inside a loop the source has: equations
        that come back to a line without a loop around it (a cond under vmap, where batching
        evaluates both branches) are no iterations."""
        if self.loop_spans is None:
            return True  # IR of an older version: the source's loops are not known
        lines = {self.lines[m] for run in self.runs.values() if run.key == key and not run.level
                 for m in run.members}
        return any(first <= line <= last for line in lines for first, last in self.loop_spans)

    def _size(self, run: Run) -> int:
        return len(run.members) + sum(self._size(self.runs[c]) for c in run.children)


def _looks_like_a_loop(sizes: list[int]) -> bool:
    """Iterations of one loop: several, of similar sizes (not code that happens to repeat)."""
    if len(sizes) < 2:
        return False
    ordered = sorted(sizes)
    median = ordered[len(ordered) // 2]
    return ordered[0] * 3 >= median and ordered[-1] <= 3 * median


def group_by_functions(nodes: list[Node], prefix: str, base: str | None,
                       loop_spans: list[list[int]] | None = None
                       ) -> tuple[dict[str, Run], dict[str, str | None]]:
    """Kept groups, and for each equation the innermost kept group holding it."""
    grouper = FunctionGrouper(prefix, base, loop_spans)
    placed = {n.id: grouper.place(n) for n in nodes if n.kind == EQN}
    kept = grouper.kept()
    placed.update(grouper.moved_out)

    def nearest(gid: str | None) -> str | None:
        while gid is not None and gid not in kept and gid in grouper.runs:
            gid = grouper.runs[gid].parent
        return gid

    for run in kept.values():
        run.parent = nearest(run.parent)
    return kept, {nid: nearest(gid) for nid, gid in placed.items()}
