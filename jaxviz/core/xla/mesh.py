"""A device mesh as plain data: axis names and sizes (``data=4,model=2``), and which mesh
position each of XLA's partition ids stands for.

XLA names devices by partition id in the shardings (``devices=[4,2]<=[8]``) and replica
groups (``{{0,1},{2,3}}``) of a partitioned module; the mesh axes a user wrote are found by
asking which coordinates of the mesh vary across those ids (``axes_varying``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class MeshError(ValueError):
    """A mesh text that cannot be used; the message names the fix."""


@dataclass
class MeshAxes:
    names: list[str]
    sizes: list[int]
    # mesh position (row-major) of each partition id; empty: partition id p is position p
    order: list[int] = field(default_factory=list)

    @property
    def devices(self) -> int:
        total = 1
        for size in self.sizes:
            total *= size
        return total

    def text(self) -> str:
        return ",".join(f"{n}={s}" for n, s in zip(self.names, self.sizes))

    def coords(self, partition: int) -> tuple[int, ...]:
        """The mesh coordinates of a partition id."""
        flat = self.order[partition] if self.order else partition
        out = []
        for size in reversed(self.sizes):
            out.append(flat % size)
            flat //= size
        return tuple(reversed(out))

    def axes_varying(self, ids: list[int]) -> tuple[str, ...]:
        """The mesh axes whose coordinate changes across ``ids`` (a group of devices)."""
        if not ids or max(ids) >= self.devices:
            return ()
        points = [self.coords(i) for i in ids]
        return tuple(n for k, n in enumerate(self.names) if len({p[k] for p in points}) > 1)


_AXIS = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*$")


def parse_mesh(text: str) -> MeshAxes:
    """``'data=4,model=2'`` read into axes; a plain message naming the fix otherwise."""
    parts = [p for p in text.split(",") if p.strip()]
    matches = [_AXIS.match(p) for p in parts]
    if not parts or not all(matches):
        bad = next((p for p, m in zip(parts, matches) if not m), text)
        raise MeshError(
            f"mesh {text!r}: {bad.strip()!r} is not NAME=SIZE. Fix: give the axes "
            "as --mesh 'data=4,model=2' (names, each with its number of devices)"
        )
    names = [m.group(1) for m in matches]
    sizes = [int(m.group(2)) for m in matches]
    if len(set(names)) != len(names) or min(sizes) < 1:
        raise MeshError(
            f"mesh {text!r}: each axis needs its own name and a size of at least "
            "1. Fix: e.g. --mesh 'data=4,model=2'"
        )
    return MeshAxes(names, sizes)


def check_devices(mesh: MeshAxes, available: int) -> None:
    """A plain error when the mesh needs more devices than there are."""
    if mesh.devices > available:
        raise MeshError(
            f"the mesh {mesh.text()} needs {mesh.devices} devices; "
            f"{available} {'is' if available == 1 else 'are'} available. Fix: "
            f"run with --host-devices "
            f"{mesh.devices} (simulated CPU devices), or give a smaller mesh"
        )


def check_divides(what: str, shape: list[int], dims: list[tuple[str, ...]], mesh: MeshAxes) -> None:
    """A plain error when an array's dimension does not split evenly over its mesh axes."""
    sizes = dict(zip(mesh.names, mesh.sizes))
    for k, (extent, axes) in enumerate(zip(shape, dims)):
        parts = 1
        for axis in axes:
            if axis not in sizes:
                raise MeshError(
                    f"{what}: the mesh has no axis {axis!r} (its axes: "
                    f"{', '.join(mesh.names)}). Fix: name it in --mesh, e.g. "
                    f"--mesh '{axis}={mesh.devices}'"
                )
            parts *= sizes[axis]
        if isinstance(extent, int) and extent % parts:
            raise MeshError(
                f"{what}: dimension {k} (size {extent}) does not split over "
                f"{'×'.join(axes)} ({parts} devices). Fix: a size that "
                f"{parts} divides, another PartitionSpec, or a smaller mesh axis"
            )


def axes_text(dims: list[tuple[str, ...]]) -> str:
    """``{data, –}``: the mesh axes of each dimension, – where it is not split."""
    words = ["×".join(d) if d else "–" for d in dims]
    return "{" + ", ".join(words) + "}"


def device_grid(dims: list[list[str]], mesh: MeshAxes) -> list[list[list[int]]]:
    """Which devices hold each tile of an array split ``dims`` (the mesh axes of each
    dimension) over ``mesh``, as ``jax.debug.visualize_array_sharding`` draws it: rows for the
    first dimension's tiles, columns for the second's, each cell the partition ids holding
    that tile (several where the array is replicated over an axis)."""
    index = {name: k for k, name in enumerate(mesh.names)}
    rows_axes = [index[a] for a in (dims[0] if dims else [])]
    cols_axes = [index[a] for a in (dims[1] if len(dims) > 1 else [])]
    rows, cols = _tiles(rows_axes, mesh), _tiles(cols_axes, mesh)
    grid = [[[] for _ in range(cols)] for _ in range(rows)]
    for partition in range(mesh.devices):
        at = mesh.coords(partition)
        grid[_place(at, rows_axes, mesh)][_place(at, cols_axes, mesh)].append(partition)
    return grid


def _tiles(axes: list[int], mesh: MeshAxes) -> int:
    count = 1
    for k in axes:
        count *= mesh.sizes[k]
    return count


def _place(coords: tuple[int, ...], axes: list[int], mesh: MeshAxes) -> int:
    """The tile a device's coordinates fall in along a dimension split over ``axes`` (the
    first axis major, as a PartitionSpec's tuple of axes splits it)."""
    place = 0
    for k in axes:
        place = place * mesh.sizes[k] + coords[k]
    return place
