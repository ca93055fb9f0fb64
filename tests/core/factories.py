"""Graph IR built by hand, for tests of the pure core that must not need jax."""

from jaxviz.core.ir.graph import EQN, INPUT, OUTPUT, Edge, Graph, Node, Port, Stage


def port(name, type_="f32[3]"):
    return Port(name, type_, [3], "float32")


def chain_graph(n: int, scope: str = "", text: str = "") -> Graph:
    """in0 → e0 → e1 → ... → out0, every equation under ``scope``, labelled with ``text``."""
    nodes = [Node("in0", INPUT, "a", outputs=[port("a")], display_name=text or "x")]
    edges = []
    prev = "in0"
    for k in range(n):
        nid = f"e{k}"
        nodes.append(Node(nid, EQN, "sin", primitive="sin", outputs=[port(f"v{k}")],
                          params={"note": text} if text else {}, params_short=text,
                          name_stack=scope, arity=1))
        edges.append(Edge(prev, nid, f"v{k - 1}" if k else "a", 0, 0, "f32[3]", [3], "float32"))
        prev = nid
    nodes.append(Node("out0", OUTPUT, f"v{n - 1}", outputs=[port(f"v{n - 1}")]))
    edges.append(Edge(prev, "out0", f"v{n - 1}", 0, 0, "f32[3]", [3], "float32"))
    return Graph(nodes=nodes, edges=edges, name="f")


def stage_of(graph: Graph, title: str = "f") -> Stage:
    return Stage(0, title, "", graph.equation_count(), graph)
