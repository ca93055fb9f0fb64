"""Test-wide settings: 4 simulated CPU devices for pmap, Qt offscreen."""

import os

# Before anything imports jax: pmap tests run across 4 host devices.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
