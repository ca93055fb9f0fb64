"""Read XLA's sharding and device-group attributes into mesh axes.

An instruction's ``sharding={devices=[4,1,2]<=[8] last_tile_dim_replicate}`` says how many
tiles each dimension is cut into and which partition holds each tile (the ids written out,
or as an iota reshaped and transposed: ``<=[4,2]T(1,0)``); a collective's
``replica_groups={{0,1},{2,3}}`` (or ``[4,2]<=[8]``, or ``mesh['axis_0'=4,...] {'axis_0'}``)
and ``source_target_pairs`` say which partitions talk. Both become mesh axis names through
``MeshAxes.axes_varying``. Text only: no jax.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from .hlo_text import _split_top
from .mesh import MeshAxes

_TILED = re.compile(r"devices=\[([\d,]+)\](?:<=\[([\d,]+)\](?:T\(([\d,]+)\))?|([\d,]+))")
_LAST_DIMS = re.compile(r"last_tile_dims=\{([^}]*)\}")
_IOTA_GROUPS = re.compile(r"^\[([\d,]+)\]<=\[([\d,]+)\](?:T\(([\d,]+)\))?")
_MESH_GROUPS = re.compile(r"^mesh\[([^\]]*)\](?:,\s*device_ids=\((.*)\))?\s*\{([^}]*)\}")
_DEVICE_IOTA = re.compile(r"^\[([\d,]+)\](?:T\(([\d,]+)\))?$")


@dataclass
class Tiling:
    """One array's sharding: ``kind`` is tiled, replicated, manual, maximal or unknown."""

    kind: str
    tiles: list[int] = field(default_factory=list)  # tiles per tensor dimension
    ids: list[int] = field(default_factory=list)  # partition of each tile, row-major
    extra: list[int] = field(default_factory=list)  # sizes of the trailing non-tensor dims


def _ints(text: str | None) -> list[int]:
    return [int(x) for x in (text or "").split(",") if x.strip()]


def iota(shape: list[int], perm: list[int] | None = None) -> list[int]:
    """``arange(prod(shape)).reshape(shape).transpose(perm).ravel()`` without numpy."""
    perm = perm or list(range(len(shape)))
    out_shape = [shape[p] for p in perm]
    ids = []
    for index in itertools.product(*(range(n) for n in out_shape)):
        source = [0] * len(shape)
        for k, p in enumerate(perm):
            source[p] = index[k]
        flat = 0
        for extent, i in zip(shape, source):
            flat = flat * extent + i
        ids.append(flat)
    return ids


def parse_sharding(text: str) -> list[Tiling]:
    """The tilings of an attribute's text: one, or one per element of a tuple sharding."""
    inner = text.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1].strip()
    if inner.startswith("{"):  # a tuple: {{...}, {...}}
        return [parse_sharding(part)[0] for part in _split_top(inner)]
    return [_tiling(inner)]


def _tiling(text: str) -> Tiling:
    for word in ("replicated", "manual", "maximal"):
        if text.startswith(word):
            return Tiling(word)
    found = _TILED.search(text)
    if not found:
        return Tiling("unknown")
    dims = _ints(found.group(1))
    ids = (
        _ints(found.group(4))
        if found.group(4)
        else iota(_ints(found.group(2)), _ints(found.group(3)) or None)
    )
    n_extra = 1 if "last_tile_dim_replicate" in text else 0
    last = _LAST_DIMS.search(text)
    if last:
        n_extra = len([w for w in last.group(1).split(",") if w.strip()])
    split = len(dims) - n_extra
    return Tiling("tiled", dims[:split], ids, dims[split:])


def dim_axes(tiling: Tiling, rank: int, mesh: MeshAxes) -> list[tuple[str, ...]] | None:
    """The mesh axes each of ``rank`` dimensions is split over; None when it is not an
    array split over the mesh (manual, maximal, unknown)."""
    if tiling.kind == "replicated":
        return [()] * rank
    if tiling.kind != "tiled" or len(tiling.tiles) != rank:
        return None
    full = tiling.tiles + tiling.extra
    strides = [1] * len(full)
    for k in range(len(full) - 2, -1, -1):
        strides[k] = strides[k + 1] * full[k + 1]
    axes = []
    for d, count in enumerate(tiling.tiles):
        ids = [tiling.ids[i * strides[d]] for i in range(count)] if count > 1 else []
        axes.append(_major_first(ids, mesh) if ids else ())
    return axes


def _major_first(ids: list[int], mesh: MeshAxes) -> tuple[str, ...]:
    """The mesh axes a dimension's tiles run over, the major one first, as a PartitionSpec
    writes them (``P(('model', 'data'))``): the axis whose coordinate changes last along
    the tiles is the major one."""
    varying = mesh.axes_varying(ids)
    if len(varying) < 2 or max(ids) >= mesh.devices:
        return varying
    points = [mesh.coords(i) for i in ids]

    def first_change(name: str) -> int:
        k = mesh.names.index(name)
        return next(i for i, p in enumerate(points) if p[k] != points[0][k])
    return tuple(sorted(varying, key=first_change, reverse=True))


def groups_of(text: str, partitions: int) -> list[list[int]]:
    """The device groups of ``replica_groups`` or ``source_target_pairs`` text; one group of
    every partition when the text is empty (``{}``)."""
    text = text.strip()
    iota_form = _IOTA_GROUPS.match(text)
    if iota_form:
        shape = _ints(iota_form.group(1))
        ids = iota(_ints(iota_form.group(2)), _ints(iota_form.group(3)) or None)
        size = shape[-1] if shape else len(ids)
        return [ids[i : i + size] for i in range(0, len(ids), size)]
    mesh_form = _MESH_GROUPS.match(text)
    if mesh_form:
        groups = _mesh_groups(mesh_form.group(1), mesh_form.group(3))
        ids = _device_ids(mesh_form.group(2))
        return [[ids[i] for i in g] for g in groups] if ids else groups
    inner = text[1:-1].strip() if text.startswith("{") else text
    if not inner:
        return [list(range(partitions))]
    return [_ints(part.strip("{} ")) for part in _split_top(inner)]


def _mesh_groups(axes_text: str, grouped_text: str) -> list[list[int]]:
    """``mesh['axis_0'=4,'axis_1'=2] {'axis_0'}``: partitions that differ only along the
    named axes form a group (XLA's own mesh over partition ids, row-major)."""
    pairs = [p.split("=") for p in axes_text.split(",") if "=" in p]
    names = [n.strip().strip("'\"") for n, _ in pairs]
    sizes = [int(s) for _, s in pairs]
    grouped = {w.strip().strip("'\"") for w in grouped_text.split(",") if w.strip()}
    groups: dict[tuple, list[int]] = {}
    for flat, coords in enumerate(itertools.product(*(range(s) for s in sizes))):
        key = tuple(c for n, c in zip(names, coords) if n not in grouped)
        groups.setdefault(key, []).append(flat)
    return list(groups.values())


def _device_ids(text: str | None) -> list[int]:
    """``device_ids=([4,2]T(1,0))`` (an iota, reshaped and transposed) or a list of ids: the
    partition at each position of XLA's mesh; [] when absent (position p is partition p)."""
    text = (text or "").strip()
    found = _DEVICE_IOTA.match(text)
    if found:
        return iota(_ints(found.group(1)), _ints(found.group(2)) or None)
    return _ints(text.strip("[]"))


def group_axes(groups: list[list[int]], mesh: MeshAxes) -> tuple[str, ...]:
    """The mesh axes the groups run over: those varying inside any group, in mesh order."""
    found = {a for g in groups for a in mesh.axes_varying(g)}
    return tuple(n for n in mesh.names if n in found)
