"""Tracing: user module → function → pipeline of transforms → one jaxpr and graph IR per stage.

Runs only inside the worker process; this is the only package that imports jax.
"""
