"""The names found without printing are the names JAX's printer gives, variable by variable,
on every stage of every sample, example and benchmark model, and on jaxprs built to test the
printer's corners (shared jaxprs, their names, custom printing rules, dropped results)."""


import pytest

from jaxviz.core.examples import read_examples
from jaxviz.trace.jaxpr_lines import jaxpr_text_and_names
from jaxviz.trace.jaxpr_names import printer_names
from jaxviz.trace.session import make_jaxpr, prepare
from tests.data.programs import MLP_NESTED, TRANSFORMER_FLAT, TRANSFORMER_NESTED
from tests.data.samples import ALL

FILE = "<editor>"

CORNERS = [
    # two jitted functions of one name: shared as `inner` and `inner1`; a long scan body
    ("""
@jax.jit
def inner(x):
    return jnp.sin(x) * 2.0

def f(x):
    g = jax.jit(lambda v: jnp.cos(v) + inner(v))
    h = jax.jit(lambda v: jnp.tanh(v) - 1.0)
    body = lambda c, v: (c * 0.5 + jnp.sin(v) * jnp.cos(c) + jnp.exp(v) - jnp.log1p(c * c)
                         + jnp.sqrt(jnp.abs(v)) * jnp.tanh(c) / (1.0 + v * v), c)
    c, ys = lax.scan(body, x.sum(), x)
    return inner(x).sum() + inner(x * 2).sum() + g(x).sum() + h(h(x)).sum() + c + ys.sum()
""", "f", "jnp.ones(4)", "grad | vmap | jit"),
    # a jitted function named like a variable: the printer skips `a` and `b` for variables
    ("""
def f(x):
    a = jax.jit(lambda v: v * 2.0)
    a.__name__ = "a"
    def b(v):
        return jnp.sin(v) + jnp.cos(v) + jnp.tanh(v) + jnp.exp(v) + jnp.log1p(v) + v * v
    b = jax.jit(b)
    return a(x) + a(x + 1.0) + b(x) + b(b(x))
""", "f", "jnp.ones(3)", "jit"),
    # results nobody uses (printed as _), cond inside while, a custom_jvp
    ("""
def f(x):
    _unused = jnp.sin(x) * 3.0
    def body(v):
        return lax.cond(v.sum() > 1.0, lambda u: u * 0.5, lambda u: u + 1.0, v)
    y = lax.while_loop(lambda v: v.sum() < 100.0, body, x)
    return jax.nn.relu(y).sum() + jax.nn.softmax(x).sum()
""", "f", "jnp.ones(3)", "grad | jit"),
    ("""
def f(x):
    return jax.checkpoint(lambda v: jnp.sin(jnp.sin(v)) * v)(x).sum()
""", "f", "jnp.ones(3)", "grad | grad"),
]


def _stages(source: str, function: str, args: str, pipeline: str):
    prepared, error = prepare(source, FILE, function, args, pipeline)
    assert error is None, error
    for plan in prepared.plans:
        try:
            closed = make_jaxpr(plan, prepared.static, FILE, prepared.static_names,
                                 prepared.namespace)[0]
        except Exception:  # noqa: BLE001 - the examples that show a tracing error
            return
        yield plan.title, closed


def _cases():
    for s in ALL:
        yield s.name, (s.source, s.function, s.args, s.pipeline)
    for e in read_examples():
        yield e.path.stem, (e.source, e.function, e.args, e.pipeline)
    yield "mlp nested", (MLP_NESTED, "mlp", "make(3), f32[4,8]", "grad | vmap")
    yield "transformer", (TRANSFORMER_NESTED, "transformer", "make(2), f32[4,32]", "grad | jit")
    yield "transformer flat", (TRANSFORMER_FLAT, "transformer", "make(2), f32[4,32]", "grad")
    for k, corner in enumerate(CORNERS):
        yield f"corner {k}", corner


@pytest.mark.parametrize("case", [c for _, c in _cases()], ids=[n for n, _ in _cases()])
def test_names_are_the_printers(case):
    """Every variable of the graph, built without printing, has the printer's name."""
    from jaxviz.trace.jaxpr_ir import unprinted_stage

    for title, closed in _stages(*case):
        _, printed, _ = jaxpr_text_and_names(closed)
        ours = {var: port.name for var, port in
                unprinted_stage(closed, 0, title, FILE).builder.ports.items()}
        differ = [(printed[v], ours.get(v)) for v in printed if ours.get(v) != printed[v]]
        assert not differ, f"{title}: {differ[:5]}"
        assert printed, title


def test_the_shared_jaxprs_are_the_printers():
    """The corner case with two functions named alike: the same let-block names as JAX's."""
    for _, closed in _stages(*CORNERS[0]):
        _, _, context = jaxpr_text_and_names(closed)
        assert dict(printer_names(closed).shared) == dict(context.shared_jaxprs)


def test_names_the_printer_gives_otherwise_rebuild_the_graph_with_its_names():
    """Should the printer ever name a variable otherwise (a JAX whose printer changed), the
    graph is built again with the printer's names: the same stage as built from them."""
    from jaxviz.trace.jaxpr_ir import add_text, stage_from_closed_jaxpr, unprinted_stage

    (_, closed), = list(_stages(*CORNERS[3]))[-1:]
    unprinted = unprinted_stage(closed, 2, "t", FILE)
    assert unprinted.stage.jaxpr == "" and add_text(unprinted) is False  # the names agree
    unprinted = unprinted_stage(closed, 2, "t", FILE)
    port = next(p for p in unprinted.builder.ports.values() if p.name != "_")
    port.name = "zz"  # as if jaxpr_names had found another name
    assert add_text(unprinted) is True
    expected = stage_from_closed_jaxpr(closed, 2, "t", FILE)
    assert unprinted.stage.graph == expected.graph and unprinted.stage.jaxpr == expected.jaxpr
    assert all(p.name != "zz" for n in unprinted.stage.graph.walk_nodes() for p in n.outputs)


def test_a_big_picture_is_drawn_without_printing_only_where_the_names_hold(monkeypatch):
    """``jaxviz export`` of a big stage skips JAX's printer when this JAX's printer names
    variables as found without it (checked once, on a jaxpr with every kind of nesting);
    otherwise it prints and takes the printer's names. A small stage always prints."""
    import jaxviz.trace.session as session
    from jaxviz.trace.jaxpr_ir import names_hold

    assert names_hold()  # this JAX: else every big export would print
    big = (TRANSFORMER_FLAT, "transformer", "make(140), f32[4,32]", "")
    (stage,), _ = session.trace_last_only(big[0], FILE, *big[1:], text=False)
    assert stage.equations >= session.UNPRINTED_FROM and stage.jaxpr == ""
    monkeypatch.setattr(session, "names_hold", lambda: False)
    (printed,), _ = session.trace_last_only(big[0], FILE, *big[1:], text=False)
    assert printed.jaxpr.startswith("{ lambda")

    def drawn(graph):  # what a picture shows of each node: names, types, label params
        return [(n.id, [(p.name, p.type) for p in n.outputs], n.params_short)
                for n in graph.walk_nodes()]
    assert drawn(printed.graph) == drawn(stage.graph) and printed.graph.edges == \
        stage.graph.edges
    small = ALL[0]
    (tiny,), _ = session.trace_last_only(small.source, FILE, small.function, small.args,
                                         small.pipeline, text=False)
    assert tiny.jaxpr.startswith("{ lambda")
