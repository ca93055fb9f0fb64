"""Groups read from the source information: the user's functions and loop iterations."""


from jaxviz.core.model.graph_model import FUNCTION, GraphModel
from tests.core.traced import trace
from tests.data import samples as s
from tests.data.programs import MLP_NESTED, TRANSFORMER_FLAT, TRANSFORMER_NESTED


def groups(source, function, args, pipeline=""):
    stages, error = trace(source=source, function=function, args=args, pipeline=pipeline)
    assert error is None, error
    model = GraphModel(stages[-1].graph)
    return model, [g for g in model.groups.values() if g.kind == FUNCTION]


def test_each_call_of_a_function_is_a_group():
    _, found = groups(MLP_NESTED, "mlp", "make(3), f32[4,32]")
    assert [(g.label, g.equations) for g in found] == [("layer #1", 4), ("layer #2", 4),
                                                       ("layer #3", 4)]


def test_backward_calls_are_groups_of_their_own():
    _, found = groups(MLP_NESTED, "mlp", "make(3), f32[4,32]", "grad")
    labels = [g.label for g in found]
    assert "layer #1" in labels and "layer #3 (backward)" in labels


def test_nested_functions_nest():
    model, found = groups(TRANSFORMER_NESTED, "transformer", "make(2), f32[4,32]")
    block = next(g for g in found if g.label == "block #1")
    inner = {g.label for g in found if g.parent == block.id}
    assert {"attention #1", "layer_norm #1", "layer_norm #2"} <= inner


def test_loop_iterations_in_the_traced_function():
    _, found = groups(TRANSFORMER_FLAT, "transformer", "make(5), f32[4,32]")
    assert [g.label for g in found] == [f"iteration {i}" for i in range(1, 6)]
    assert len({g.equations for g in found}) == 1


def test_code_without_loops_or_calls_makes_no_groups():
    stages, _ = trace(s.POLYNOMIAL)
    assert GraphModel(stages[1].graph).groups == {}


def test_many_groups_start_closed():
    model, found = groups(MLP_NESTED, "mlp", "make(40), f32[4,32]")
    assert len(found) == 40
    assert sum(g.id in model.open for g in found) <= 16
