"""A corpus of small programs covering the ``jax.lax`` primitives a CPU build of JAX traces,
lowers and compiles, plus the structured ones (control flow, custom rules, callbacks, linear
algebra, collectives).

Each program is a few lines of a module as a user would write it (``jax``, ``jnp``, ``lax``
and ``np`` are there already), its function ``f``, the arguments and whether ``grad`` applies.
Most come from tables (unary and binary elementwise primitives); the structured ones are
written out. ``tests/trace/test_primitive_corpus.py`` checks a sample of them against JAX in
the suite, ``benchmarks/primitive_corpus.py`` all of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Program:
    name: str
    source: str
    args: str
    grad: bool = True  # whether ``grad`` of a float scalar of it is defined
    devices: int = 1  # CPU devices it needs (``--xla_force_host_platform_device_count``)


def _expr(name: str, expr: str, args: str = "f32[4,3]", grad: bool = True,
          params: str = "x") -> Program:
    tail = ".sum()" if grad else ""
    body = f"def f({params}):\n    return ({expr}){tail}\n"
    return Program(name, body, args, grad)


# unary float primitives, as ``lax.NAME(x)``; the value is where a grad is defined
_UNARY = {
    "sin": True, "cos": True, "tan": True, "asin": True, "acos": True, "atan": True,
    "sinh": True, "cosh": True, "tanh": True, "asinh": True, "acosh": False, "atanh": True,
    "exp": True, "exp2": True, "log": True, "log1p": True, "expm1": True, "sqrt": True,
    "rsqrt": True, "cbrt": True, "abs": True, "neg": True, "sign": True, "floor": True,
    "ceil": True, "round": True, "logistic": True, "erf": True, "erfc": True,
    "erf_inv": True, "lgamma": True, "digamma": True, "square": True, "is_finite": False,
    "bessel_i0e": True, "bessel_i1e": True, "real": False, "imag": False,
}
# inputs in (0.1, 0.9): every unary above is defined there
_IN_RANGE = "lax.clamp(0.1, x, 0.9)"

_BINARY = ["add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "nextafter",
           "igamma", "igammac", "polygamma", "zeta", "random_gamma_grad"]
_COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
_BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor", "shift_left",
            "shift_right_logical", "shift_right_arithmetic"]
_INT_UNARY = ["population_count", "clz", "bitwise_not"]
_NO_GRAD_BINARY = {"nextafter", "igamma", "igammac", "polygamma", "zeta",
                   "random_gamma_grad", "rem"}


def _unary() -> list[Program]:
    out = []
    for name, grad in _UNARY.items():
        if name in ("real", "imag"):
            out.append(_expr(name, f"lax.{name}(lax.complex(x, x * 2.0))", grad=False))
        elif name == "is_finite":
            out.append(_expr(name, "lax.is_finite(x)", grad=False))
        else:
            arg = "1.0 + x * x" if name == "acosh" else _IN_RANGE
            out.append(_expr(name, f"lax.{name}({arg})", grad=grad or name == "acosh"))
    return out


def _binary() -> list[Program]:
    out = []
    for name in _BINARY:
        a = "1.0 + lax.clamp(0.1, x, 0.9)" if name != "polygamma" else "jnp.ones_like(x)"
        b = "1.5 + lax.clamp(0.1, y, 0.9)"
        grad = name not in _NO_GRAD_BINARY
        out.append(_expr(name, f"getattr(lax, {name!r})({a}, {b})", "f32[4,3], f32[4,3]",
                         grad, "x, y"))
    out += [_expr(n, f"getattr(lax, {n!r})(x, y)", "f32[4,3], f32[4,3]", False, "x, y")
            for n in _COMPARE]
    out += [_expr(n, f"getattr(lax, {n!r})(x, y)", "i32[4,3], i32[4,3]", False, "x, y")
            for n in _BITWISE]
    out += [_expr(n, f"getattr(lax, {n!r})(x)", "i32[4,3]", False) for n in _INT_UNARY]
    return out


_SHAPES = [
    ("reshape", "lax.reshape(x, (3, 4))"),
    ("transpose", "lax.transpose(x, (1, 0))"),
    ("broadcast_in_dim", "lax.broadcast_in_dim(x, (2, 4, 3), (1, 2))"),
    ("squeeze", "lax.squeeze(x[None], (0,))"),
    ("expand_dims", "lax.expand_dims(x, (0,))"),
    ("concatenate", "lax.concatenate([x, x * 2.0], 0)"),
    ("pad", "lax.pad(x, 0.0, [(1, 2, 1), (0, 1, 0)])"),
    ("rev", "lax.rev(x, (0,))"),
    ("slice", "lax.slice(x, (1, 0), (3, 2))"),
    ("dynamic_slice", "lax.dynamic_slice(x, (1, 0), (2, 2))"),
    ("dynamic_update_slice", "lax.dynamic_update_slice(x, jnp.ones((2, 2)), (1, 1))"),
    ("select_n", "lax.select_n(x > 0.5, x, x * 2.0)"),
    ("clamp", "lax.clamp(-0.5, x, 0.5)"),
    ("convert_element_type", "lax.convert_element_type(x, jnp.float16).astype(jnp.float32)"),
    ("reduce_precision", "lax.reduce_precision(x, 5, 10)"),
    ("split", "sum(lax.split(x, (1, 3)))"),
    ("copy", "lax.copy_p.bind(x)"),
    ("stop_gradient", "lax.stop_gradient(x) * x"),
    ("optimization_barrier", "lax.optimization_barrier(x * 2.0)"),
    ("reduce_sum", "lax.reduce_sum(x, (0,))"),
    ("reduce_max", "lax.reduce_max(x, (1,))"),
    ("reduce_min", "lax.reduce_min(x, (1,))"),
    ("reduce_prod", "lax.reduce_prod(x, (0,))"),
    ("argmax", "x * lax.argmax(x, 0, jnp.int32).sum()"),
    ("cumsum", "lax.cumsum(x, 0)"),
    ("cumprod", "lax.cumprod(x, 1)"),
    ("cummax", "lax.cummax(x, 0)"),
    ("cumlogsumexp", "lax.cumlogsumexp(x, 0)"),
    ("sort", "lax.sort(x, dimension=0)"),
    ("sort multi-operand", "lax.sort((x, -x), num_keys=1)[1]"),
    ("top_k", "lax.top_k(x, 2)[0]"),
    ("dot_general", "lax.dot_general(x, x, (((1,), (1,)), ((), ())))"),
    ("gather (x[i])", "x[jnp.array([2, 0])]"),
    ("scatter-add (.at[].add)", "x.at[jnp.array([1, 1])].add(x[0])"),
    ("scatter (.at[].set)", "x.at[0].set(1.0)"),
    ("scatter-mul", "x.at[1].multiply(3.0)"),
    ("reduce_window (max pool)",
     "lax.reduce_window(x, -jnp.inf, lax.max, (2, 2), (1, 1), 'VALID')"),
    ("reduce_window_sum", "lax.reduce_window(x, 0.0, lax.add, (2, 1), (1, 1), 'SAME')"),
    ("fft", "jnp.fft.rfft(x).real"),
    ("iota", "x + lax.iota(jnp.float32, 3)"),
    ("logsumexp (custom_jvp)", "jax.nn.logsumexp(x, axis=0)"),
    ("softmax", "jax.nn.softmax(x)"),
    ("einsum", "jnp.einsum('ij,kj->ik', x, x)"),
]

_CONV = [
    ("conv", "def f(x, w):\n    return lax.conv(x, w, (1, 1), 'SAME').sum()\n",
     "f32[1,2,5,5], f32[3,2,3,3]"),
    ("conv feature groups", "def f(x, w):\n    return lax.conv_general_dilated(\n"
     "        x, w, (1, 1), 'SAME', feature_group_count=2).sum()\n",
     "f32[1,4,5,5], f32[4,2,3,3]"),
    ("conv dilated", "def f(x, w):\n    return lax.conv_general_dilated(\n"
     "        x, w, (2, 2), 'VALID', rhs_dilation=(2, 2)).sum()\n",
     "f32[1,2,9,9], f32[3,2,3,3]"),
]

_LINALG = [
    ("cholesky", "jnp.linalg.cholesky(x @ x.T + 3.0 * jnp.eye(4))", True),
    ("eigh", "jnp.linalg.eigh(x @ x.T)[0]", True),
    ("svd", "jnp.linalg.svd(x, compute_uv=False)", True),
    ("qr", "jnp.linalg.qr(x)[1]", True),
    ("lu", "jax.scipy.linalg.lu(x @ x.T + jnp.eye(4))[2]", True),
    ("triangular_solve", "jax.scipy.linalg.solve_triangular(jnp.tril(x @ x.T) + jnp.eye(4), "
     "x, lower=True)", True),
    ("solve (custom_linear_solve)", "jnp.linalg.solve(x @ x.T + jnp.eye(4), x)", True),
    ("inv", "jnp.linalg.inv(x @ x.T + jnp.eye(4))", True),
    ("det", "jnp.linalg.det(x @ x.T + jnp.eye(4))", True),
    ("eig", "jnp.abs(jnp.linalg.eig(x @ x.T)[0])", False),
    ("expm", "jax.scipy.linalg.expm(x @ x.T * 0.1)", True),
    ("cg (while in custom_linear_solve)", "jax.scipy.sparse.linalg.cg(\n"
     "        lambda v: (x @ x.T + 4.0 * jnp.eye(4)) @ v, x[:, 0])[0]", True),
]

_STRUCTURED = [
    ("cond", """
def f(x):
    return lax.cond(x.sum() > 0, jnp.sin, jnp.cos, x).sum()
""", "f32[4,3]", True),
    ("switch", """
def f(i, x):
    return lax.switch(i, [jnp.sin, jnp.cos, jnp.tanh], x).sum()
""", "2, f32[4,3]", False),
    ("while", """
def f(x):
    return lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 0.9), (0, x))[1].sum()
""", "f32[4,3]", False),
    ("fori_loop", """
def f(x):
    return lax.fori_loop(0, 3, lambda i, c: c * jnp.sin(c), x).sum()
""", "f32[4,3]", True),
    ("scan", """
def f(x):
    def step(c, row):
        c = jnp.tanh(c + row)
        return c, c * 2.0
    c, ys = lax.scan(step, jnp.zeros(3), x)
    return c.sum() + ys.sum()
""", "f32[4,3]", True),
    ("scan reverse unroll", """
def f(x):
    c, ys = lax.scan(lambda c, r: (c * r, c), jnp.ones(3), x, reverse=True, unroll=2)
    return c.sum() + ys.sum()
""", "f32[4,3]", True),
    ("custom_jvp", """
@jax.custom_jvp
def g(x):
    return jnp.log1p(jnp.exp(x))

@g.defjvp
def g_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return g(x), t * jax.nn.sigmoid(x)

def f(x):
    return g(x).sum()
""", "f32[4,3]", True),
    ("custom_vjp", """
@jax.custom_vjp
def clip(x):
    return x

def clip_fwd(x):
    return x, None

def clip_bwd(_, g):
    return (jnp.clip(g, -1.0, 1.0),)

clip.defvjp(clip_fwd, clip_bwd)

def f(x):
    return (clip(x) * 3.0).sum()
""", "f32[4,3]", True),
    ("custom_root", """
def f(x):
    def solve(g, y):
        return y - g(y)
    def tangent_solve(g, y):
        return y / g(1.0)
    return lax.custom_root(lambda y: y * y - x, 1.0, solve, tangent_solve)
""", "f32[]", True),
    ("checkpoint policy", """
def f(x):
    g = jax.checkpoint(lambda v: jnp.sin(jnp.sin(v) @ v.T),
                       policy=jax.checkpoint_policies.dots_saveable)
    return g(x).sum()
""", "f32[4,3]", True),
    ("checkpoint nothing_saveable", """
def f(x):
    return jax.checkpoint(lambda v: jnp.exp(jnp.sin(v)),
                          policy=jax.checkpoint_policies.nothing_saveable)(x).sum()
""", "f32[4,3]", True),
    ("pure_callback", """
def f(x):
    y = jax.pure_callback(lambda v: np.sin(v), jax.ShapeDtypeStruct(x.shape, x.dtype), x)
    return (y * 2.0).sum()
""", "f32[4,3]", False),
    ("io_callback", """
from jax.experimental import io_callback

def f(x):
    y = io_callback(lambda v: np.cos(v), jax.ShapeDtypeStruct(x.shape, x.dtype), x)
    return (y + x).sum()
""", "f32[4,3]", False),
    ("debug_print", """
def f(x):
    jax.debug.print("x sum {s}", s=x.sum())
    return (x * 2.0).sum()
""", "f32[4,3]", True),
    ("debug_callback", """
def f(x):
    jax.debug.callback(lambda v: None, x)
    return jnp.sin(x).sum()
""", "f32[4,3]", True),
    ("random bits", """
def f(x):
    key = jax.random.key(0)
    return (x * jax.random.normal(key, x.shape)).sum()
""", "f32[4,3]", True),
    ("threefry split/fold_in", """
def f(x):
    key = jax.random.fold_in(jax.random.PRNGKey(1), 3)
    k1, k2 = jax.random.split(key)
    return (x * jax.random.uniform(k1, x.shape) + jax.random.bernoulli(k2, 0.5, x.shape)).sum()
""", "f32[4,3]", True),
    ("sharding constraint", """
def f(x):
    return jax.lax.with_sharding_constraint(jnp.sin(x), jax.sharding.PositionalSharding(
        jax.devices()[:1]) if hasattr(jax.sharding, "PositionalSharding") else
        jax.sharding.SingleDeviceSharding(jax.devices()[0])).sum()
""", "f32[4,3]", True),
    ("shard_map psum", """
from jax.sharding import Mesh, PartitionSpec as P

mesh = Mesh(np.array(jax.devices()[:1]), ("i",))

def f(x):
    body = jax.shard_map(lambda v: jax.lax.psum(jnp.sin(v), "i"), mesh=mesh,
                         in_specs=P("i"), out_specs=P())
    return body(x).sum()
""", "f32[4,3]", True),
]


def _shapes() -> list[Program]:
    return [_expr(name, expr) for name, expr in _SHAPES]


def _linalg() -> list[Program]:
    return [_expr(name, expr, grad=grad) for name, expr, grad in _LINALG]


PROGRAMS: list[Program] = (
    _unary() + _binary() + _shapes() + _linalg()
    + [Program(name, src, args) for name, src, args in _CONV]
    + [Program(name, src.lstrip("\n"), args, grad) for name, src, args, grad in _STRUCTURED]
)


def pipelines(program: Program) -> list[str]:
    """``jit``, and ``grad | jit`` where the program differentiates (of its first argument)."""
    return ["jit", "grad | jit"] if program.grad else ["jit"]
