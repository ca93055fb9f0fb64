"""Repeated calls and iterations of the same structure fold into one box, ``block ×N``."""

from jaxviz.core.model.graph_model import GraphModel
from jaxviz.core.model.groups import FOLD
from tests.core.traced import trace

BLOCKS = """
def block(x):
    return jnp.tanh(x @ x.T @ x) + 1.0

def net(x, depth=6):
    for _ in range(depth):
        x = block(x)
    return x
"""

LOOP = """
def f(x):
    for _ in range(5):
        x = jnp.sin(x) * 2.0 + 1.0
    return x
"""


def _folds(stage, **kw):
    model = GraphModel(stage.graph, **kw)
    return model, [g for g in model.groups.values() if g.kind == FOLD]


def test_identical_calls_fold_into_one_box():
    stages, _ = trace(source=BLOCKS, function="net", args="jnp.ones((4, 4))", pipeline="")
    model, folds = _folds(stages[0])
    assert [f.label for f in folds] == ["block ×6"]
    fold = folds[0]
    inside = [g for g in model.groups.values() if g.parent == fold.id]
    assert [g.label for g in inside] == ["block #1", "block ×5 more, same structure"]
    rest = inside[1]
    assert [g.label for g in model.groups.values() if g.parent == rest.id] == \
        [f"block #{k}" for k in range(2, 7)]
    assert fold.equations == stages[0].equations == sum(g.equations for g in inside)
    closed = GraphModel(stages[0].graph, open_groups=set())
    boxes = [n.lines[0] for n in closed.visible().nodes.values() if n.kind == "group"]
    assert boxes == ["▸ block ×6"]


def test_iterations_of_a_loop_fold():
    stages, _ = trace(source=LOOP, function="f", args="1.0", pipeline="")
    _, folds = _folds(stages[0])
    assert [f.label for f in folds] == ["iteration ×5"]


def test_calls_on_different_shapes_do_not_fold():
    source = BLOCKS + "\ndef shrinking(x):\n    for _ in range(4):\n        x = block(x)[:, 1:]\n" \
        "    return x\n"
    stages, error = trace(source=source, function="shrinking", args="jnp.ones((6, 6))",
                          pipeline="")
    assert error is None, error
    model, folds = _folds(stages[0])
    assert folds == []
    assert sum(g.label.startswith("block #") for g in model.groups.values()) == 4


def test_an_open_fold_shows_one_representative_and_the_others_on_request():
    stages, _ = trace(source=BLOCKS, function="net", args="jnp.ones((4, 4))", pipeline="")
    fold = f"{_first_call(stages[0])}/fold"
    one = GraphModel(stages[0].graph, open_groups={fold})
    boxes = sorted(n.lines[0] for n in one.visible().nodes.values() if n.kind == "group")
    assert boxes == ["▸ block #1", "▸ block ×5 more, same structure"]
    every = GraphModel(stages[0].graph, open_groups={fold, f"{fold}/rest"})
    boxes = sorted(n.lines[0] for n in every.visible().nodes.values() if n.kind == "group")
    assert boxes == [f"▸ block #{k}" for k in range(1, 7)]


def _first_call(stage):
    model = GraphModel(stage.graph)
    return next(g.id for g in model.groups.values() if g.label == "block #1")
