"""The device grid drawn for an edge is where JAX itself puts each tile of the array
(``NamedSharding.devices_indices_map``), on a 2×2 mesh of the tests' 4 CPU devices."""

import jax
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from jaxviz.core.xla.mesh import MeshAxes, device_grid

SPECS = [P("data", "model"), P("data", None), P(None, "model"), P(("model", "data"), None),
         P(None, ("data", "model")), P()]


def _jax_grid(spec: P, mesh: Mesh, shape=(8, 8)) -> list[list[list[int]]]:
    """Each tile's devices, rows and columns in the order of the tiles' starts."""
    where = NamedSharding(mesh, spec).devices_indices_map(shape)
    starts = {d.id: (i[0].start or 0, i[1].start or 0) for d, i in where.items()}
    rows = sorted({r for r, _ in starts.values()})
    cols = sorted({c for _, c in starts.values()})
    grid = [[[] for _ in cols] for _ in rows]
    for device, (r, c) in sorted(starts.items()):
        grid[rows.index(r)][cols.index(c)].append(device)
    return grid


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_the_grid_is_where_jax_puts_each_tile(spec):
    mesh = Mesh(np.array(jax.devices()[:4]).reshape(2, 2), ("data", "model"))
    dims = [[a] if isinstance(a, str) else list(a or ()) for a in list(spec) + [None] * 2][:2]
    assert device_grid(dims, MeshAxes(["data", "model"], [2, 2])) == _jax_grid(spec, mesh)
