"""Reports below the jaxpr, from the stages alone: the fusion map, costs, the memory timeline,
the residuals. The CLI prints them (text or ``--json``), the app and the API show them.

Each report compares ours with JAX's or XLA's own figure where one exists (``cost_analysis``,
``memory_analysis``, ``saved_residuals``) and says how the two are counted.
"""

from __future__ import annotations

from ..ir.graph import EQN, Node, Stage
from ..ir.labels import equation_name
from .cost import EquationCost, total
from .fusion_map import DEAD, FOLDED, STATUS_TEXT, Placement
from .memory import timeline
from .residuals import compare_with_jax, residuals

TOP = 15  # rows of the text tables


def compiled_of(stages: list[Stage]) -> Stage | None:
    return next((s for s in reversed(stages) if s.dialect == "hlo"), None)


def analysed_of(stages: list[Stage]) -> Stage | None:
    """The jaxpr stage that was lowered/compiled (the one the costs are on)."""
    below = next((s for s in stages if s.source_stage is not None), None)
    return stages[below.source_stage] if below is not None else None


def placements(compiled: Stage) -> dict[str, Placement]:
    return {k: Placement(**v) for k, v in compiled.fusions.items()}


def costs(stage: Stage) -> dict[str, EquationCost]:
    return {k: EquationCost(**v) for k, v in stage.costs.items()}


def _nodes(stage: Stage) -> dict[str, Node]:
    return {n.id: n for n in stage.graph.walk_nodes() if n.kind == EQN}


def value_names(stage: Stage) -> dict[str, str]:
    """A name per node for the reader: the Python path of a stage input (``params[1]['w']``),
    also for the inputs of a nested jaxpr that are fed by one; else JAX's variable name.
    Graphs come outer before inner (``walk_graphs``), so a name is passed down level by level."""
    names = {n.id: n.display_name or n.label for n in stage.graph.walk_nodes()}
    graph_of = {n.id: g for g in stage.graph.walk_graphs() for n in g.nodes}
    for graph in stage.graph.walk_graphs():
        holder_id = graph.id.rsplit("/g", 1)[0] if graph.id else ""
        parent = graph_of.get(holder_id)
        if parent is None:
            continue
        feeds = {e.dst_port: e.src for e in parent.edges if e.dst == holder_id}
        for node in graph.nodes:
            if node.kind == "input":
                k = int(node.id.rsplit("in", 1)[-1])
                port = graph.input_ports[k] if k < len(graph.input_ports) else None
                if port is not None and port in feeds:
                    names[node.id] = names.get(feeds[port], names[node.id])
    return names


# --- fusions -------------------------------------------------------------------------------

def fusion_report(source: Stage, compiled: Stage) -> dict:
    places = placements(compiled)
    nodes = _nodes(source)
    per = costs(source)
    kernels: dict[str, list[str]] = {}
    for node_id, place in places.items():
        if place.kernel:
            kernels.setdefault(place.kernel, []).append(node_id)
    return {
        "stage": source.title, "compiled": compiled.title, "via": compiled.reference.get(
            "map_via", "tag"), "summary": compiled.reference.get("map_summary", {}),
        "equations": {nid: {**p.to_dict(), "primitive": nodes[nid].primitive,
                            "name": equation_name(nodes[nid]), "line": nodes[nid].line}
                      for nid, p in places.items() if nid in nodes},
        "kernels": {k: {"kind": places[v[0]].kernel_kind, "equations": v,
                        **_summed(per, v, nodes)}
                    for k, v in sorted(kernels.items(), key=lambda kv: -len(kv[1]))},
    }


def _summed(per: dict[str, EquationCost], ids: list[str], nodes: dict[str, Node]) -> dict:
    """FLOPs and bytes of a kernel's equations (those without nested jaxprs: a loop's body
    equations are in their own kernels)."""
    total = EquationCost()
    for nid in ids:
        if nid in per and not nodes[nid].subgraphs:
            total.add(per[nid])
    return {"flops": total.flops, "transcendentals": total.transcendentals,
            "bytes": total.bytes}


def fusion_text(report: dict) -> list[str]:
    lines = [f"{report['compiled']}: each equation of {report['stage']} and the XLA kernel it "
             f"runs in (mapped by {report['via']})"]
    lines += [f"  {count:>5}  {status}: {STATUS_TEXT[status]}"
              for status, count in report["summary"].items() if count]
    lines.append("")
    equations = report["equations"]
    for kernel, info in report["kernels"].items():
        lines.append(f"{kernel}  ({info['kind']}, {len(info['equations'])} equations, "
                     f"{number(info['flops'])} FLOPs, {number(info['bytes'])}B as unfused)")
        for nid in info["equations"]:
            eq = equations[nid]
            lines.append(f"    {eq['name']:<32} {eq['status']:<7} "
                         f"{('line ' + str(eq['line'])) if eq['line'] else ''}")
    gone = [(nid, eq) for nid, eq in equations.items() if eq["status"] in (DEAD, FOLDED)]
    if gone:
        lines.append("removed by XLA")
        lines += [f"    {eq['name']:<32} {eq['status']}" for _, eq in gone]
    return lines


# --- cost ----------------------------------------------------------------------------------

def cost_report(source: Stage, compiled: Stage | None) -> dict:
    per = costs(source)
    nodes = _nodes(source)
    ours = total(per, source.graph)
    kept = copied = None
    if compiled is not None and compiled.fusions:
        places = placements(compiled)
        gone = {k for k, p in places.items() if p.status in (DEAD, FOLDED)}
        kept = _kept_total(per, source, gone)
        copied = _copied_total(per, source, places, kept)
    leaves = [nid for nid in per if not nodes[nid].subgraphs]
    top = sorted(leaves, key=lambda nid: -(per[nid].flops + per[nid].transcendentals))
    return {
        "stage": source.title,
        "ours": ours.to_dict(), "ours_kept": kept.to_dict() if kept else None,
        "ours_copied": copied.to_dict() if copied else None,
        "xla": compiled.reference.get("cost", {}) if compiled else {},
        "partitions": compiled.reference.get("partitions", 1) if compiled else 1,
        "rules": _rule_counts(per),
        "top": [{"id": nid, "primitive": nodes[nid].primitive, "name": equation_name(nodes[nid]),
                 "line": nodes[nid].line, **per[nid].to_dict()} for nid in top[:100]],
    }


def _kept_total(per: dict[str, EquationCost], source: Stage, gone: set[str]) -> EquationCost:
    """Our total over the equations XLA kept (dead code and folded constants left out); a
    removed equation inside a loop or branch is left in (its share there is not one)."""
    result = total(per, source.graph)
    nodes = _nodes(source)
    looped = _inside_loops(source)
    for nid in gone:
        if not nodes[nid].subgraphs and nid not in looped:
            result.add(per[nid], -1.0)
    return result


def _copied_total(per: dict[str, EquationCost], source: Stage,
                  places: dict[str, Placement], kept: EquationCost) -> EquationCost:
    """The kept total with each equation counted once per kernel XLA copied it into, as XLA's
    own cost analysis counts (outside loops and branches, where one copy is one)."""
    result = EquationCost()
    result.add(kept)
    looped = _inside_loops(source)
    for nid, place in places.items():
        if place.copies > 1 and nid in per and nid not in looped:
            result.add(per[nid], place.copies - 1)
    return result


def _inside_loops(stage: Stage) -> set[str]:
    inside: set[str] = set()
    for node in stage.graph.walk_nodes():
        if node.primitive in ("scan", "while", "cond"):
            inside |= {n.id for sub in node.subgraphs for n in sub.walk_nodes()}
    return inside


def _rule_counts(per: dict[str, EquationCost]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cost in per.values():
        counts[cost.rule] = counts.get(cost.rule, 0) + 1
    return counts


def number(value: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:g}"


def cost_text(report: dict) -> list[str]:
    ours, xla, kept = report["ours"], report["xla"], report["ours_kept"]
    lines = [f"cost of {report['stage']}  (rules: " + ", ".join(
        f"{k} {v}" for k, v in report["rules"].items()) + ")",
        f"{'':22}{'FLOPs':>12}{'transcend.':>12}{'bytes':>12}",
        f"{'ours, every equation':22}{number(ours['flops']):>12}"
        f"{number(ours['transcendentals']):>12}"
        f"{number(ours['bytes_read'] + ours['bytes_written']):>12}"]
    for title, row in (("ours, XLA kept", kept), ("ours, × XLA's copies", report["ours_copied"])):
        if row:
            lines.append(f"{title:22}{number(row['flops']):>12}"
                         f"{number(row['transcendentals']):>12}"
                         f"{number(row['bytes_read'] + row['bytes_written']):>12}")
    parts = report.get("partitions", 1)
    if xla and parts > 1:  # XLA counts one device's share of a partitioned program
        row = kept or ours
        lines.append(f"{f'ours ÷ {parts} devices':22}{number(row['flops'] / parts):>12}"
                     f"{number(row['transcendentals'] / parts):>12}"
                     f"{number((row['bytes_read'] + row['bytes_written']) / parts):>12}")
    if xla:
        lines.append(f"{'XLA cost_analysis':22}{number(xla.get('flops', 0)):>12}"
                     f"{number(xla.get('transcendentals', 0)):>12}"
                     f"{number(xla.get('bytes accessed', 0)):>12}")
        if parts > 1:
            lines.append(f"(the program is partitioned over {parts} devices: XLA's "
                         f"cost_analysis counts one device's share, ours the whole program)")
        lines.append("(our bytes count every equation's operands and results as if nothing "
                     "were fused; XLA's count only what its kernels read and write)")
    lines.append("")
    lines.append(f"{'equation':<36}{'FLOPs':>10}{'transc.':>10}{'bytes':>10}  line")
    for row in report["top"][:TOP]:
        lines.append(f"{row['name']:<36}{number(row['flops']):>10}"
                     f"{number(row['transcendentals']):>10}"
                     f"{number(row['bytes_read'] + row['bytes_written']):>10}  "
                     f"{row['line'] or ''}")
    return lines


# --- memory --------------------------------------------------------------------------------

CALLS = ("jit", "pjit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call",
         "checkpoint", "remat")


def program_graph(stage: Stage):
    """The jaxpr that runs: a stage that is one call (``jit(grad(f))``) runs its body."""
    graph = stage.graph
    while True:
        eqns = [n for n in graph.nodes if n.kind == EQN]
        if len(eqns) != 1 or eqns[0].primitive not in CALLS or len(eqns[0].subgraphs) != 1:
            return graph
        graph = eqns[0].subgraphs[0]


def memory_report(source: Stage, compiled: Stage | None, line=None,
                  names: dict[str, str] | None = None) -> dict:
    """``line``, ``names``: the stage's timeline and value names when the caller has them
    already (the app's chart and tables)."""
    line = line if line is not None else timeline(program_graph(source))
    peak = line.peak_index
    nodes = _nodes(source)
    names = names if names is not None else value_names(source)
    alive = line.alive_at(peak) if peak is not None else []
    return {
        "stage": source.title, "resident_bytes": line.resident,
        "peak_bytes": line.steps[peak].live if peak is not None else line.resident,
        "peak_at": line.steps[peak].node if peak is not None else None,
        "peak_primitive": nodes[line.steps[peak].node].primitive if peak is not None else "",
        "peak_name": equation_name(nodes[line.steps[peak].node]) if peak is not None else "",
        "steps": [[s.node, s.live, s.after] for s in line.steps],
        "largest_at_peak": [{"name": v.name, "type": v.type, "bytes": v.bytes,
                             "made_by": v.producer, "what": names.get(v.producer, ""),
                             "primitive": nodes[v.producer].primitive
                             if v.producer in nodes else "",
                             "maker": equation_name(nodes[v.producer])
                             if v.producer in nodes else ""}
                            for v in alive[:8]],
        "xla": compiled.reference.get("memory", {}) if compiled else {},
    }


def _maker(value: dict) -> str:
    if value["made_by"].rsplit("/", 1)[-1].startswith("in"):
        return f"input {value.get('what', '')}"
    return f"made by {value.get('maker') or value.get('primitive', '')}"


def memory_text(report: dict) -> list[str]:
    xla = report["xla"]
    lines = [f"memory of {report['stage']}, in program order",
             f"  inputs and constants (alive throughout): {number(report['resident_bytes'])}B",
             f"  peak: {number(report['peak_bytes'])}B while "
             f"{report.get('peak_name') or report['peak_at']} runs"]
    lines += [f"      {v['name']:<8} {v['type']:<18} {number(v['bytes']):>8}B  "
              f"({_maker(v)})" for v in report["largest_at_peak"]]
    if xla:
        total_xla = (xla.get("argument_size_in_bytes", 0) + xla.get("output_size_in_bytes", 0)
                     + xla.get("temp_size_in_bytes", 0) - xla.get("alias_size_in_bytes", 0))
        sizes = {k: number(xla.get(f"{k}_size_in_bytes", 0))
                 for k in ("argument", "output", "temp", "alias")}
        lines.append(f"  XLA memory_analysis: arguments {sizes['argument']}B, outputs "
                     f"{sizes['output']}B, temporaries {sizes['temp']}B, aliased "
                     f"{sizes['alias']}B: {number(total_xla)}B")
        lines.append("  (ours holds every intermediate in memory; XLA's fusions keep most of "
                     "them in registers and its buffers are reused)")
    return lines


# --- residuals -----------------------------------------------------------------------------

def residual_report(stage: Stage, names: dict[str, str] | None = None) -> dict:
    found = residuals(stage.graph)
    listing = stage.reference.get("residuals")
    names = names if names is not None else value_names(stage)
    return {
        "stage": stage.title,
        "residuals": [{"name": r.name, "what": names.get(r.producer, r.name), "type": r.type,
                       "bytes": r.bytes, "made_by": r.made_by, "line": r.line,
                       "producer": r.producer, "readers": r.readers}
                      for r in found],
        "total_bytes": sum(r.bytes for r in found),
        "jax": listing,
        "comparison": compare_with_jax(found, listing) if listing is not None else None,
    }


def residual_text(report: dict) -> list[str]:
    rows = report["residuals"]
    lines = [f"residuals of {report['stage']}: {len(rows)} values, "
             f"{number(report['total_bytes'])}B saved by the forward pass for the backward pass"]
    for r in sorted(rows, key=lambda r: -r["bytes"]):
        where = f"line {r['line']}" if r["line"] else ""
        made = f"input {r['what']}" if r["made_by"] == "input" else r["made_by"]
        lines.append(f"  {r['name']:<6} {r['type']:<16} {number(r['bytes']):>8}B  "
                     f"{made:<20} {where:<9} read by {len(r['readers'])}")
    comparison = report["comparison"]
    if comparison is not None:
        verdict = "agree" if comparison["agree"] else "differ"
        literals = comparison.get("jax_literals", 0)
        extra = f" (and {literals} literals, inline in the jaxpr)" if literals else ""
        lines.append(f"JAX's saved_residuals lists {sum(comparison['jax'].values())} values"
                     f"{extra}; by type the two listings {verdict}")
        if not comparison["agree"]:
            lines.append(f"  ours {comparison['ours']}")
            lines.append(f"  JAX  {comparison['jax']}")
    return lines
