"""Trace helpers for tests: run a sample in-process, the way the worker does."""

from jaxviz.trace.session import prepare, trace_source

FILE = "<editor>"


def trace(sample=None, *, source=None, function=None, args=None, pipeline=None):
    """Stages and error for a sample, with any field overridden."""
    return trace_source(source if source is not None else sample.source, FILE,
                        function or sample.function,
                        args if args is not None else sample.args,
                        pipeline if pipeline is not None else sample.pipeline)


def stage_functions(sample, pipeline=None):
    """Each stage's function and arguments, to evaluate them."""
    prepared, error = prepare(sample.source, FILE, sample.function, sample.args,
                              pipeline if pipeline is not None else sample.pipeline)
    assert error is None, error
    return prepared.plans
