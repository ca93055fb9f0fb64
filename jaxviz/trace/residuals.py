"""JAX's own listing of the residuals a gradient saves, to compare with ours
(``core/xla/residuals.py``).

``jax.ad_checkpoint.print_saved_residuals`` prints it; the list behind it,
``saved_residuals``, has no public name and is read from ``jax._src.ad_checkpoint``.
"""

from __future__ import annotations

from jaxviz.core.pipeline_spec import TransformSpec
from jaxviz.trace.pipeline import StagePlan

GRADIENTS = ("grad", "value_and_grad")


def jax_residuals(before: StagePlan, spec: TransformSpec) -> list[list[str]] | None:
    """[type, description] of each residual that ``spec`` (a grad) of ``before.fn`` saves,
    the arguments it does not differentiate held fixed; None when JAX cannot say."""
    try:
        from jax._src.ad_checkpoint import saved_residuals
    except ImportError:  # pragma: no cover - JAX moved it
        return None
    argnums = spec.options.get("argnums", 0)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    has_aux = spec.options.get("has_aux", False)
    # the arguments held fixed are closed over: an abstract one (f32[8,3]) must be an array
    args, kwargs = [_concrete(a) for a in before.args], _concrete(dict(before.kwargs))

    def differentiated(*chosen):
        full = list(args)
        for i, value in zip(nums, chosen):
            full[i] = value
        out = before.fn(*full, **kwargs)
        return out[0] if has_aux else out

    try:
        listing = saved_residuals(differentiated, *[args[i] for i in nums])
    except Exception:  # noqa: BLE001 - the listing is a cross-check; the trace stands alone
        return None
    return [[aval.str_short(short_dtypes=True), str(desc)] for aval, desc in listing]


def _concrete(tree):
    import jax
    import jax.numpy as jnp

    return jax.tree_util.tree_map(
        lambda leaf: jnp.zeros(leaf.shape, leaf.dtype)
        if isinstance(leaf, jax.ShapeDtypeStruct) else leaf, tree)


def gradient_listings(plans: list[StagePlan], specs: list[TransformSpec]
                      ) -> dict[int, list[list[str]]]:
    """For each stage a grad made (by index), JAX's residual listing."""
    found = {}
    for spec, plan in zip(specs, plans[1:]):
        if spec.name in GRADIENTS:
            listing = jax_residuals(plans[plan.index - 1], spec)
            if listing is not None:
                found[plan.index] = listing
    return found


def attach_listings(stages: list, plans: list[StagePlan], specs: list[TransformSpec]) -> None:
    """JAX's saved residuals on each stage a grad made, and on the jits of it."""
    for index, listing in gradient_listings(plans, specs).items():
        stages[index].reference["residuals"] = listing
        following = index + 1
        while following < len(stages) and specs[following - 1].name == "jit":
            stages[following].reference["residuals"] = listing
            following += 1
