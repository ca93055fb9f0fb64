"""The pure core: graph IR, graph model, layout, diff and export. Imports neither Qt nor jax."""
