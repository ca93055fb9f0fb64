"""The layout engine: a visible graph placed in layered phases (ranks with cycles broken, order,
wrap, positions, routes, labels), dot as the other engine, and the checker of every drawing's
defects."""
