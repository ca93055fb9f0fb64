"""The worker's local devices, as plain data for the device panel and ``jaxviz devices``."""

from __future__ import annotations

import jax


def describe_device(device) -> dict:
    """Platform, kind, id, process index, and memory where JAX reports it."""
    info = {"id": device.id, "platform": device.platform, "kind": device.device_kind,
            "process_index": device.process_index, "memory_bytes": None}
    try:
        stats = device.memory_stats() or {}
        info["memory_bytes"] = stats.get("bytes_limit")
    except Exception:  # CPU devices and some backends report nothing
        pass
    return info


def list_devices() -> tuple[list[dict], str]:
    """All local devices and the default backend's name."""
    return [describe_device(d) for d in jax.local_devices()], jax.default_backend()
