"""What is drawn of a stage: the groups (the user's functions, modules, library calls, JAX's
nesting), which are open, the visible graph, styles and hover texts."""
