"""Below the jaxpr, in the pure core: HLO text read into a graph, the equation → fusion map,
costs, the memory timeline and the residuals, on committed fixtures (no jax needed).

``tests/data/hlo/tanh_grad.hlo`` is the compiled module of ``grad(f, argnums=1)`` for
``f(x, w) = sum(sin(tanh(x @ w)) * 2 + 1)`` on the CPU, every equation tagged;
``tanh_grad.stage.json`` the grad stage it was compiled from.
"""

import json
from pathlib import Path

from jaxviz.core.ir.graph import EQN, INPUT, OUTPUT, Edge, Graph, Node, Port, stage_from_dict
from jaxviz.core.model.graph_model import GraphModel
from jaxviz.core.xla.cost import equation_costs, total
from jaxviz.core.xla.fusion_map import DEAD, FOLDED, FUSED, MERGED, OWN, fusion_map, fusion_mates
from jaxviz.core.xla.hlo_ir import hlo_graph, instruction_count
from jaxviz.core.xla.hlo_text import parse_instruction, parse_module, strip_tags
from jaxviz.core.xla.memory import timeline
from jaxviz.core.xla.residuals import residuals

DATA = Path(__file__).parent.parent / "data" / "hlo"


def fixture():
    module = parse_module((DATA / "tanh_grad.hlo").read_text())
    stage = stage_from_dict(json.loads((DATA / "tanh_grad.stage.json").read_text()))
    return module, stage


def test_an_instruction_line_is_read_into_its_parts():
    ins = parse_instruction('  ROOT %multiply_add_fusion = (f32[8,4]{1,0}, s32[]) fusion('
                            '%ynn_fusion, %p.1), kind=kLoop, calls=%fused_computation.1, '
                            'frontend_attributes={jaxviz_eqn="e0/g1/e13"}, metadata={op_name='
                            '"jit(f)/add_any" stack_frame_id=2}', 7)
    assert (ins.name, ins.opcode, ins.type, ins.root) == ("multiply_add_fusion", "fusion",
                                                          "(f32[8,4], s32[])", True)
    assert ins.operands == ["ynn_fusion", "p.1"]
    assert ins.attributes == {"kind": "kLoop", "calls": "%fused_computation.1"}
    assert (ins.tag, ins.op_name, ins.line) == ("e0/g1/e13", "jit(f)/add_any", 7)


def test_the_compiled_module_becomes_a_graph_whose_fusions_open():
    module, _ = fixture()
    graph = hlo_graph(module)
    top = [n for n in graph.nodes if n.kind == EQN]
    assert [n.primitive for n in top] == ["fusion", "fusion", "dot"]
    assert [n.kind for n in graph.nodes].count(INPUT) == 2
    assert [n.kind for n in graph.nodes].count(OUTPUT) == 1
    loop = top[1]
    assert "multiply_add_fusion" in loop.params_short and "kLoop" in loop.params_short
    inside = [n.primitive for n in loop.subgraphs[0].nodes if n.kind == EQN]
    assert inside.count("multiply") == 3 and "tanh" in inside and "cosine" in inside
    model = GraphModel(graph)
    assert top[1].id in model.groups  # a group that opens and closes, like a jaxpr's cond
    assert instruction_count(module) == 3 + 1 + len(inside)


def test_every_edge_joins_an_instruction_to_one_that_reads_it():
    module, _ = fixture()
    graph = hlo_graph(module)
    dot = next(n for n in graph.nodes if n.primitive == "dot")
    sources = sorted(e.src for e in graph.edges if e.dst == dot.id)
    assert sources == sorted(["in0", next(n.id for n in graph.nodes
                                          if "multiply_add" in n.params_short)])


def test_each_equation_is_mapped_to_the_kernel_it_runs_in():
    module, stage = fixture()
    places = fusion_map(module, stage.graph)
    prims = {n.id: n.primitive for n in stage.graph.nodes if n.kind == EQN}
    assert set(places) == set(prims)  # every equation has a placement
    by_status = {}
    for nid, place in places.items():
        by_status.setdefault(place.status, []).append(prims[nid])
    # sin·2+1 and its reduce_sum feed nothing: the loss value is not an output of grad
    assert sorted(by_status[DEAD]) == ["add", "mul", "reduce_sum", "sin"]
    # the cotangent seed broadcast(1.0) * 2.0 depends on constants only
    assert sorted(by_status[FOLDED]) == ["broadcast_in_dim", "mul"]
    assert by_status[OWN] == ["transpose"]  # the last dot carries the transpose's tag...
    assert by_status[MERGED] == ["dot_general"]  # ...its dot_general was folded into it
    elementwise = [nid for nid, p in places.items() if p.kernel == "multiply_add_fusion"]
    assert sorted(prims[n] for n in elementwise) == sorted(
        ["tanh", "sub", "cos", "mul", "mul", "mul", "add_any"])
    assert all(places[n].status == FUSED and places[n].kernel_kind == "kLoop"
               for n in elementwise)
    assert sorted(fusion_mates(places, elementwise[0])) == sorted(elementwise)


def test_tags_are_stripped_from_the_text_shown_line_for_line():
    text = (DATA / "tanh_grad.hlo").read_text()
    shown = strip_tags(text)
    assert "jaxviz_eqn" not in shown
    assert len(shown.splitlines()) == len(text.splitlines())
    assert "metadata={op_name=" in shown


def test_costs_count_as_xla_does():
    _, stage = fixture()
    costs = equation_costs(stage.graph)
    by_prim = {}
    for node in stage.graph.nodes:
        if node.kind == EQN:
            by_prim.setdefault(node.primitive, []).append(costs[node.id])
    first_dot, second_dot = by_prim["dot_general"]
    assert first_dot.flops == 2 * 8 * 16 * 4  # f32[8,16] @ f32[16,4]
    assert second_dot.flops == 2 * 8 * 4 * 16
    assert first_dot.bytes_read == (8 * 16 + 16 * 4) * 4 and first_dot.bytes_written == 8 * 4 * 4
    assert by_prim["tanh"][0].transcendentals == 32 and by_prim["tanh"][0].flops == 0
    assert all(c.flops == 32 for c in by_prim["mul"])
    assert by_prim["transpose"][0].flops == 0
    whole = total(costs, stage.graph)
    assert whole.transcendentals == 3 * 32  # tanh, sin, cos


def _value_chain():
    """x: f32[100] → a = sin x → b = mul a x → out b; c = cos x unused."""
    def port(name, n=100):
        return Port(name, f"f32[{n}]", [n], "float32")
    nodes = [Node("in0", INPUT, "x", outputs=[port("x")]),
             Node("e0", EQN, "sin", primitive="sin", outputs=[port("a")]),
             Node("e1", EQN, "mul", primitive="mul", outputs=[port("b")]),
             Node("e2", EQN, "cos", primitive="cos", outputs=[port("_")]),
             Node("out0", OUTPUT, "b", outputs=[port("b")])]
    edges = [Edge("in0", "e0", "x", 0, 0, "f32[100]", [100], "float32"),
             Edge("e0", "e1", "a", 0, 0, "f32[100]", [100], "float32"),
             Edge("in0", "e1", "x", 0, 1, "f32[100]", [100], "float32"),
             Edge("in0", "e2", "x", 0, 0, "f32[100]", [100], "float32"),
             Edge("e1", "out0", "b", 0, 0, "f32[100]", [100], "float32")]
    return Graph(nodes=nodes, edges=edges)


def test_live_bytes_follow_each_values_first_and_last_use():
    line = timeline(_value_chain())
    assert line.resident == 400  # x, alive throughout
    assert [(s.node, s.live, s.after) for s in line.steps] == [
        ("e0", 800, 800),  # x and a
        ("e1", 1200, 800),  # x, a and b while mul runs; a is freed after it
        ("e2", 1200, 800),  # x, b (an output, alive to the end) and cos's result
    ]
    assert line.peak_index == 1
    assert [v.name for v in line.alive_at(1)] == ["x", "a", "b"]


def test_residuals_are_forward_values_read_by_the_backward_pass():
    _, stage = fixture()
    found = residuals(stage.graph)
    prims = {n.id: n.primitive or n.kind for n in stage.graph.walk_nodes()}
    # tanh's result and 1 - tanh (its derivative's part), cos(tanh), and the input x
    assert sorted(prims[r.producer] for r in found) == ["cos", "input", "sub", "tanh"]
    assert sum(r.bytes for r in found) == 3 * 8 * 4 * 4 + 8 * 16 * 4


def test_an_overlay_repaints_every_box_and_says_what_its_colours_mean():
    from jaxviz.core.export.overlay import HEAT, RESIDUAL_EDGE, ZERO, colour, values
    from jaxviz.core.layout.engine import layout_model
    from jaxviz.core.model.styles import legend_entries

    _, stage = fixture()
    stage.costs = {k: c.to_dict() for k, c in equation_costs(stage.graph).items()}
    model = GraphModel(stage.graph, expand_all=True)
    layout = layout_model(model)
    flops = colour(layout, model, "flops", values("flops", [stage], 0))
    dots = [b for b in flops.nodes.values() if b.lines[0].startswith("dot_general")]
    assert {b.fill for b in dots} == {HEAT[-1]}  # the most FLOPs: the strongest colour
    tanh = next(b for b in flops.nodes.values() if b.lines[0] == "tanh")
    assert tanh.fill == ZERO  # a transcendental, no FLOP
    eqns = [b for b in flops.nodes.values() if b.kind == "eqn"]
    assert all(b.fill in HEAT + [ZERO] for b in eqns)  # no kind colour is left to misread
    texts = [t for t, _ in legend_entries(flops.nodes.values(), overlay=flops.overlay)]
    assert texts[0].startswith("FLOPs: 0")
    saved = colour(layout, model, "residuals", values("residuals", [stage], 0))
    highlighted = [e for e in saved.edges if e.highlight == RESIDUAL_EDGE]
    assert {e.var for e in highlighted} == {r.name for r in residuals(stage.graph)}
    assert saved.nodes["in0"].fill != layout.nodes["in0"].fill  # x, saved, is coloured


def test_tuple_types_lose_their_index_comments():
    ins = parse_instruction("  ROOT %t = (f32[8], f32[2,3], /*index=2*/s32[]) tuple(%a, %b, %c)")
    assert ins.type == "(f32[8], f32[2,3], s32[])" and ins.operands == ["a", "b", "c"]
