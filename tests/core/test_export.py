"""Exports: valid, not trivial, the same graph in every format, written atomically."""

import json
import xml.etree.ElementTree as ET

import pygraphviz
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaxviz.core.export import images
from jaxviz.core.export.images import ExportError, export_bytes, export_file, write_atomic
from jaxviz.core.ir.graph import IR_VERSION, to_dict
from jaxviz.core.layout.engine import LayoutOptions, layout_model
from jaxviz.core.model.graph_model import GraphModel
from tests.core.factories import chain_graph, stage_of
from tests.core.traced import trace
from tests.data import samples as s

SVG = "{http://www.w3.org/2000/svg}"


def laid_out(sample=s.POLYNOMIAL, pipeline=None, **model_kw):
    stages, error = trace(sample, pipeline=pipeline)
    assert error is None
    stage = stages[-1]
    layout = layout_model(GraphModel(stage.graph, **model_kw))
    return layout, to_dict(stage)


def svg_classes(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [g.get("class", "") for g in root.iter(f"{SVG}g")]


@pytest.mark.parametrize("sample", [s.POLYNOMIAL, s.SCAN, s.MLP, s.COND], ids=lambda x: x.name)
def test_svg_shows_one_node_per_visible_node(sample):
    layout, stage = laid_out(sample)
    classes = svg_classes(export_bytes(layout, stage, "svg"))
    drawn = [c for c in classes if c.startswith("node jaxviz-") and "stub" not in c
             and "legend" not in c]
    assert len(drawn) == len(layout.nodes)
    clusters = [c for c in classes if c == "cluster"]
    assert len(clusters) == len(layout.clusters)


def test_dot_reparses_with_the_same_counts_and_no_stubs():
    layout, stage = laid_out(s.MLP)
    dot = export_bytes(layout, stage, "dot").decode()
    graph = pygraphviz.AGraph(string=dot)
    assert not any(e.cut for e in layout.edges)  # every edge drawn whole
    assert any(len(e.points) > 4 for e in layout.edges)  # long ones routed through lanes
    assert graph.number_of_nodes() == len(layout.nodes) + 1  # + legend
    assert graph.number_of_edges() == len(layout.edges)
    ids = {graph.get_node(n).attr["id"] for n in graph.nodes()}
    assert set(layout.nodes) <= ids


def test_png_and_pdf_are_real_images(tmp_path):
    layout, stage = laid_out()
    png = export_file(layout, stage, tmp_path / "g.png", dpi=72)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width > 400
    big = export_file(layout, stage, tmp_path / "big.png", dpi=144).read_bytes()
    assert int.from_bytes(big[16:20], "big") > 1.8 * width  # the DPI option scales
    pdf = export_file(layout, stage, tmp_path / "g.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_a_png_without_a_resolution_is_sharp_and_bounded(tmp_path):
    from jaxviz.core.export.images import default_dpi

    layout, stage = laid_out()
    data = export_file(layout, stage, tmp_path / "g.png").read_bytes()
    sharp = export_file(layout, stage, tmp_path / "sharp.png", dpi=144).read_bytes()
    assert data[16:24] == sharp[16:24]  # a small drawing: 144 dpi, twice the app's size
    assert default_dpi(1000, 2700) < 144 and default_dpi(1000, 2700) ** 2 / 72 ** 2 * \
        1000 * 2700 <= 8_000_001  # a tall drawing: under 8 megapixels...
    assert default_dpi(20_000, 30_000) == 72  # ...but never smaller than in the app


def test_json_holds_ir_and_layout(tmp_path):
    layout, stage = laid_out()
    data = json.loads(export_file(layout, stage, tmp_path / "g.json").read_text())
    assert data["stage"]["title"] == "grad(f)" and data["stage"]["ir_version"] == IR_VERSION
    assert set(data["layout"]["nodes"]) == set(layout.nodes)


def test_left_to_right_layout():
    stages, _ = trace(s.POLYNOMIAL)
    model = GraphModel(stages[0].graph)
    tb = layout_model(model, LayoutOptions(rankdir="TB"))
    lr = layout_model(model, LayoutOptions(rankdir="LR"))
    assert tb.nodes["out0"].y > tb.nodes["in0"].y
    assert lr.nodes["out0"].x > lr.nodes["in0"].x


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "g.svg", b"x")


def test_failed_render_leaves_no_partial_file(tmp_path, monkeypatch):
    layout, stage = laid_out()
    target = tmp_path / "g.svg"
    previous = export_bytes(layout, stage, "svg")
    target.write_bytes(previous)

    def broken(*args, **kwargs):
        raise RuntimeError("graphviz failed")

    monkeypatch.setattr(images, "render", broken)
    with pytest.raises(RuntimeError):
        export_file(layout, stage, target)
    assert target.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_unwritable_folder_is_a_clear_error(tmp_path):
    import os
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    with pytest.raises(ExportError, match="not writable"):
        write_atomic(folder / "g.svg", b"x")


FRAGMENTS = ['"', "<", ">", "&", "{", "}", "|", "\\", "'", "\n", " ", "λ", "é", "中", "🙂", "a",
             "[]", "=", ";", "\\n", "\\l", "\\N", "<b>", "&amp;", "-->"]
NASTY = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=NASTY)
def test_any_text_survives_every_format(text):
    graph = chain_graph(2, scope=f"outer/{text.replace('/', '_')}", text=text)
    model = GraphModel(graph, expand_all=True)
    layout = layout_model(model, LayoutOptions(engine="layered"))
    stage = to_dict(stage_of(graph, title=text))
    # DOT reparses, and gives back exactly the label we meant
    parsed = pygraphviz.AGraph(string=export_bytes(layout, stage, "dot").decode())
    label = "\n".join(layout.nodes["e0"].lines)
    node = [n for n in parsed.nodes() if parsed.get_node(n).attr["id"] == "e0"][0]
    meant = label.replace("&", "&amp;").replace("\\", "\\\\").replace("\n", "\\n")
    assert parsed.get_node(node).attr["label"] == meant
    # SVG parses as XML and shows every line of the label as text
    svg = ET.fromstring(export_bytes(layout, stage, "svg"))
    shown = " ".join(" ".join((t.text or "").split()) for t in svg.iter(f"{SVG}text"))
    for line in label.split("\n"):
        assert " ".join(line.split()) in shown


@pytest.mark.parametrize("text", ["\n&&amp;é", "\n<b>|\\N\\n\n|", "=<a{\n;\"\\N&🙂\\n}",
                                  "\n🙂;|é", "\n🙂 \\l🙂中\\N><b>\\n"])
def test_line_breaks_in_user_text_render(text):
    """Regression: labels starting with a line break crashed graphviz (segfault in nop2)."""
    graph = chain_graph(2, scope=f"outer/{text}", text=text)
    layout = layout_model(GraphModel(graph, expand_all=True), LayoutOptions(engine="layered"))
    stage = to_dict(stage_of(graph, title=text))
    for _ in range(20):
        assert export_bytes(layout, stage, "svg").startswith(b"<?xml")


def test_export_legend_lists_only_what_is_drawn_without_app_instructions():
    layout, stage = laid_out(s.MLP, pipeline="grad")
    svg = export_bytes(layout, stage, "svg").decode()
    legend = svg[svg.find('class="node jaxviz&#45;legend"'):]
    assert "backward pass (transpose)" in legend and "matmul" in legend
    assert "double-click" not in svg and "closed group" not in legend
    assert "collective" not in legend and "random" not in legend


def test_a_route_longer_than_graphviz_reads_in_one_string_still_exports():
    layout, stage = laid_out()
    edge = layout.edges[0]
    a, b = edge.points[0], edge.points[-1]
    zigzag = [[a[0] + (k % 2) * 3.0, a[1] + (b[1] - a[1]) * k / 1200] for k in range(1200)]
    edge.points = [a] + zigzag + [b]
    dot = export_bytes(layout, stage, "dot").decode()
    assert max(len(part) for part in dot.split('"')) < 16_000
    pygraphviz.AGraph(string=dot)  # reads back
    assert export_bytes(layout, stage, "svg").count(b"<path") > len(layout.edges)
