"""Every class of user error gives a clear message naming the line, and the fix that fits."""

import pytest

from tests.trace.helpers import trace


def err(source, function="f", args="1.0", pipeline=""):
    stages, error = trace(source=source, function=function, args=args, pipeline=pipeline)
    assert error is not None, "expected an error"
    return error


def test_syntax_error_names_line_and_column():
    e = err("def f(x):\n    return x +\n")
    assert (e.kind, e.line, e.column) == ("syntax", 2, 14)


def test_exception_while_running_the_module():
    e = err("import math\ny = 1 / 0\ndef f(x):\n    return x\n")
    assert (e.kind, e.line, e.exception) == ("module", 2, "ZeroDivisionError")


def test_exception_in_the_function_names_its_line():
    e = err("def f(x):\n    y = x * 2\n    return y + undefined_name\n")
    assert (e.kind, e.line, e.exception) == ("trace", 3, "NameError")


def test_unknown_function_lists_the_ones_that_exist():
    e = err("def f(x):\n    return x\ndef g(x):\n    return x\n", function="h")
    assert e.kind == "function"
    assert "f, g" in e.hint


def test_failing_arguments_expression():
    e = err("def f(x):\n    return x\n", args="jnp.ones(3) + nope")
    assert e.kind == "arguments" and "nope" in e.message


@pytest.mark.parametrize("body, args, exception, fix", [
    ("    if x > 0:\n        return x\n    return -x\n", "1.0", "TracerBoolConversionError",
     "jnp.where"),
    ("    return jnp.zeros(int(x))\n", "1.0", "ConcretizationTypeError", "static_argnums"),
    ("    return [1.0, 2.0][x]\n", "1", "TracerIntegerConversionError", "static_argnums"),
    ("    return np.asarray(x) * 2\n", "jnp.ones(3)", "TracerArrayConversionError", "jnp"),
], ids=["bool", "concretization", "integer", "array"])
def test_tracer_errors_are_explained(body, args, exception, fix):
    e = err("def f(x):\n" + body, args=args, pipeline="jit")
    assert e.exception == exception
    assert fix in e.hint
    assert e.line == 2


def test_unexpected_tracer_error():
    source = ("leaked = []\n"
              "def g(x):\n    leaked.append(x)\n    return x\n"
              "jax.jit(g)(1.0)\n"
              "def f(x):\n    return x * 2\n"
              "y = leaked[0] + 1\n")
    e = err(source, args="1.0")
    assert e.line == 8
    assert e.exception == "UnexpectedTracerError"
    assert "return the value" in e.hint


def test_grad_of_non_scalar_suggests_jacrev():
    e = err("def f(x):\n    return jnp.sin(x)\n", args="jnp.ones(3)", pipeline="grad")
    assert "jacrev" in e.hint and e.stage == "grad(f)"


def test_reverse_mode_through_while_loop():
    source = "def f(x):\n    return lax.while_loop(lambda v: v < 10., lambda v: v * 2., x)\n"
    e = err(source, pipeline="grad")
    assert "while_loop" in e.message and "scan" in e.hint


@pytest.mark.parametrize("pipeline", ["grad", "hessian"])
def test_reverse_mode_through_while_loop_names_the_loops_line(pipeline):
    """JAX raises it in the transpose, after the function returned: no frame of the user's."""
    source = ("def f(x):\n    y = jnp.sin(x)  # while_loop would not do\n"
              "    return lax.while_loop(lambda v: v < 10., lambda v: v * 2., y)\n")
    assert err(source, pipeline=pipeline).line == 3


def test_forward_mode_through_custom_vjp():
    from tests.data.samples import CUSTOM_VJP
    e = err(CUSTOM_VJP.source, args="jnp.ones(3)", pipeline="jacfwd")
    assert "custom_vjp" in e.message and "custom_jvp" in e.hint


def test_shape_error_names_the_line():
    e = err("def f(a, b):\n    c = a + 1\n    return c @ b\n", args="jnp.ones((2, 3)), jnp.ones(2)")
    assert e.line == 3
    assert "shape" in e.message.lower() or "shape" in e.hint.lower()


def test_recursion_is_explained():
    e = err("def f(x):\n    return f(x) + 1\n")
    assert e.exception == "RecursionError" and e.line == 2
    assert "too deep" in e.message and "without end" in e.message  # deep, or endless


def test_sys_exit_in_the_function_names_its_line():
    e = err("import sys\ndef f(x):\n    sys.exit(0)\n    return x\n")
    assert e.kind == "exit" and "sys.exit(0)" in e.message and e.line == 3


def test_sys_exit_is_a_user_error():
    e = err("import sys\nsys.exit(3)\ndef f(x):\n    return x\n")
    assert e.kind == "exit" and "sys.exit" in e.message


def test_pipeline_errors_are_user_errors():
    e = err("def f(x):\n    return x\n", pipeline="grad | vmapp")
    assert e.kind == "pipeline" and "vmapp" in e.message


def test_scalar_argument_under_vmap_is_explained():
    e = err("def f(x):\n    return x\n", args="1.0", pipeline="vmap")
    assert e.kind == "arguments" and "scalar" in e.message


def test_collective_without_a_bound_axis_names_the_fix():
    e = err("def f(x):\n    return x / lax.psum(x, 'i')\n", args="jnp.ones(3)")
    assert e.line == 2 and "pmap(axis_name='i')" in e.hint


def test_a_generator_function_is_told_plainly_with_its_line():
    e = err("import math\n\ndef f(x):\n    yield x * 2\n", pipeline="grad")
    assert (e.kind, e.line) == ("function", 3)
    assert "generator" in e.message and "Internal" not in e.message
    assert "return" in e.hint
