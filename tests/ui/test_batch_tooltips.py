"""The window's tooltips of a vmap stage name each result's batch axis; other stages' do not."""

from jaxviz.core.ir.graph import to_dict
from jaxviz.ui.stage_set import StageSet, build_stage
from tests.core.traced import trace
from tests.data.vmap_cases import CASES, SOURCE


def test_vmap_stage_tooltips_carry_the_batch_axis():
    function, pipeline, args, _ = CASES["vmap of grad"]
    stages, error = trace(source=SOURCE, function=function, args=args, pipeline=pipeline)
    assert error is None, error
    held = StageSet()
    for stage in stages:
        held.add_built(build_stage(to_dict(stage)), None)
    _, tips, _ = held.view_of(2)
    assert "b: f32[⟨8⟩,3]  batch: axis 0 (was f32[3])" in tips["in1"]
    assert "batch: none" in tips["in0"]
    assert held.batch_axes_of(1) is None and held.batch_axes_of(0) is None
    _, grad_tips, _ = held.view_of(1)
    assert not any("batch:" in tip for tip in grad_tips.values())
