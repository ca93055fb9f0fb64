"""Every example's default picture, and every benchmark model's up to 26,000 equations, is one
a reader can use: no edge through a node, no overlap, no stub, aspect at most 4:1."""


import pytest

from jaxviz.core.examples import read_examples
from jaxviz.core.layout.check import check_layout
from jaxviz.core.layout.engine import layout_model
from jaxviz.core.model.graph_model import GraphModel
from jaxviz.trace.session import trace_source
from tests.data.programs import CASES

PROGRAMS = [(e.title, e.source, e.function, e.args, e.pipeline) for e in read_examples()] + \
    [(f"{name} ×{depth}", source, function, args.format(d=depth), pipeline)
     for name, source, function, args, pipeline, depth in CASES if depth <= 80]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p[0])
def test_the_default_picture_reads(program):
    _, source, function, args, pipeline = program
    stages, _ = trace_source(source, "<editor>", function, args, pipeline)
    for stage in stages:
        model = GraphModel(stage.graph)
        d = check_layout(layout_model(model), {g: x.parent for g, x in model.groups.items()})
        assert (d.edges_through_nodes, d.node_overlaps, d.group_overlaps, d.label_overlaps,
                d.stubs) == (0, 0, 0, 0, 0), (stage.title, d)
        assert 0.25 <= d.aspect <= 4.0, (stage.title, d)


def test_a_big_transformer_grad_shows_its_blocks_folded_and_its_parameters_as_one_box():
    source = next(e for e in read_examples() if e.title.startswith("12-block")).source
    stages, _ = trace_source(source, "<editor>", "transformer", "make(12), f32[16,32]", "grad")
    boxes = [n.lines[0] for n in GraphModel(stages[-1].graph).visible().nodes.values()
             if n.kind == "group"]
    assert {"▸ block ×11", "▸ block ×11 (backward)", "▸ params", "▸ result"} <= set(boxes)
