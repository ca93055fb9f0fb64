"""Groups read from the source information: the user's own functions, and loop iterations.

A flat jaxpr of 20,000 equations is unreadable as one picture; the user wrote it as a loop over
``block(p, x)`` calls. Each equation knows the user functions it was traced under and the line
each was at (``Node.user_frames``/``user_lines``). Contiguous runs of equations under the same
call (function name and the caller's line) form one group per call; a run whose line inside
the function goes back (forward pass) or forward (backward, transposed, pass), or that meets an
equation from the very same place again, starts a new call — the next iteration of the loop
that made the calls. In the traced function itself, such restarts mark loop iterations. Groups
of one equation, or holding nothing but one other group, are not worth a box and are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jaxviz.core.ir import EQN, Node


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
    seen: set = field(default_factory=set)  # equation signatures met in this run


def _direction(node: Node) -> int:
    return -1 if "transpose(" in node.name_stack else 1


def _path(node: Node) -> list[tuple]:
    """The call path: (traced function, direction), then (callee, caller's line, direction)."""
    frames, lines = node.user_frames, node.user_lines
    if not frames or len(lines) != len(frames):
        return []
    d = _direction(node)
    return [(frames[0], d)] + [(frames[k], lines[k - 1], d) for k in range(1, len(frames))]


def _signature(node: Node, level: int) -> tuple:
    """What identifies an equation's place in the code from ``level`` inwards."""
    return (tuple(node.user_lines[level:]), node.column, node.primitive, node.params_short,
            tuple(p.type for p in node.outputs))


def _restarts(run: Run, line: int, direction: int, signature: tuple) -> bool:
    """The same code runs again: the line went against the direction of execution, or an
    equation from the very same place (and with the same params and types) comes again."""
    backwards = line < run.last if direction > 0 else line > run.last
    return backwards or signature in run.seen


class FunctionGrouper:
    """Assigns a graph's equations to call and iteration groups."""

    def __init__(self, prefix: str, base: str | None):
        self.prefix, self.base = prefix, base
        self.runs: dict[str, Run] = {}
        self.stack: list[Run] = []
        self.counts: dict[tuple, int] = {}
        self.next_id = 0

    def _open(self, key: tuple, level: int) -> Run:
        count_key = key[:2] if level else (key[0], "iteration", key[1])
        self.counts[count_key] = self.counts.get(count_key, 0) + 1
        n = self.counts[count_key]
        backward = " (backward)" if key[-1] < 0 else ""
        label = f"{key[0]} #{n}{backward}" if level else f"iteration {n}{backward}"
        parent = self.stack[-1].gid if self.stack else self.base
        run = Run(key, f"{self.prefix}u{self.next_id}", label, parent, level)
        self.next_id += 1
        self.runs[run.gid] = run
        if self.stack:
            self.stack[-1].children.append(run.gid)
        return run

    def place(self, node: Node) -> str | None:
        """The group an equation goes in (``base`` when none)."""
        path, lines, d = _path(node), node.user_lines, _direction(node)
        depth = 0
        while (depth < len(self.stack) and depth < len(path) and self.stack[depth].key ==
               path[depth] and not _restarts(self.stack[depth], lines[depth], d,
                                             _signature(node, depth))):
            depth += 1
        del self.stack[depth:]
        for level in range(depth, len(path)):
            run = self._open(path[level], level)
            run.first = run.last = lines[level]
            self.stack.append(run)
        for level, run in enumerate(self.stack):
            run.last = lines[level]
            run.seen.add(_signature(node, level))
        if not self.stack:
            return self.base
        self.stack[-1].members.append(node.id)
        return self.stack[-1].gid

    def kept(self) -> dict[str, Run]:
        """Groups worth showing: at least two equations, and iterations only of real loops."""
        keep = {}
        iterations: dict[tuple, int] = {}
        for run in self.runs.values():
            if run.level == 0:
                iterations[run.key] = iterations.get(run.key, 0) + 1
        for gid, run in self.runs.items():
            size = self._size(run)
            if size < 2 or (run.level == 0 and iterations[run.key] < 2):
                continue
            if not run.members and len(run.children) == 1:
                continue  # a box holding just one box: the inner one says it all
            keep[gid] = run
        return keep

    def _size(self, run: Run) -> int:
        return len(run.members) + sum(self._size(self.runs[c]) for c in run.children)


def group_by_functions(nodes: list[Node], prefix: str, base: str | None
                       ) -> tuple[dict[str, Run], dict[str, str | None]]:
    """Kept groups, and for each equation the innermost kept group holding it."""
    grouper = FunctionGrouper(prefix, base)
    placed = {n.id: grouper.place(n) for n in nodes if n.kind == EQN}
    kept = grouper.kept()

    def nearest(gid: str | None) -> str | None:
        while gid is not None and gid not in kept and gid in grouper.runs:
            gid = grouper.runs[gid].parent
        return gid

    for run in kept.values():
        run.parent = nearest(run.parent)
    return kept, {nid: nearest(gid) for nid, gid in placed.items()}
