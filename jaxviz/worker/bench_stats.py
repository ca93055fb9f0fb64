"""Median and spread of timings: shared by the CLI and the device panel (no jax, no Qt)."""

from __future__ import annotations

import statistics


def spread(times: list[float]) -> dict[str, float]:
    """Median, min and max of a list of seconds."""
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}
