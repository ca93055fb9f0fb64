"""The jax Mesh a traced program uses: read off its equations (``shard_map``'s mesh, a
sharding constraint's or a jit's ``NamedSharding``), for reports that name mesh axes."""

from __future__ import annotations

import jax

from jaxviz.trace.jaxpr_walk import walk_equations


def mesh_in_jaxpr(closed):
    """The first jax Mesh the jaxpr's equations use (shard_map, a sharding constraint, a
    jit's shardings), or None."""
    for _, eqn in walk_equations(closed.jaxpr):
        for value in eqn.params.values():
            for item in value if isinstance(value, (tuple, list)) else (value,):
                mesh = getattr(item, "mesh", item)
                if isinstance(mesh, jax.sharding.Mesh) and mesh.axis_names:  # a jit's
                    return mesh  # ctx_mesh is an empty one
    return None
