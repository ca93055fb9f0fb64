"""The document, without a window: what each thing that happens does to what is shown."""

import subprocess
import sys

from jaxviz.core.errors import ErrorInfo
from jaxviz.ui.document import Document
from jaxviz.ui.stage_set import StageSet


def recorded(doc: Document) -> list:
    events = []
    doc.program_changed.connect(lambda: events.append("program"))
    doc.inputs_changed.connect(lambda: events.append("inputs"))
    doc.traced.connect(lambda: events.append("traced"))
    doc.error_changed.connect(lambda info, current: events.append(
        ("error", info.kind if info else None, current)))
    doc.title_changed.connect(lambda title: events.append(("title", title)))
    return events


def some_stages() -> StageSet:
    stages = StageSet()
    stages.stages.append(object())
    return stages


def test_an_edit_marks_the_error_and_the_stages_stale_and_the_next_trace_clears_them():
    doc = Document()
    events = recorded(doc)
    doc.load("Polynomial under grad")
    doc.answered(None, some_stages())
    doc.answered(ErrorInfo(kind="syntax", line=2, message="bad"))
    assert doc.has_stages and not doc.stages_current  # the last good graph, marked
    events.clear()
    doc.edit()
    assert events == [("error", "syntax", False), "inputs",
                      ("title", "untitled (from Polynomial under grad) — jaxviz")]
    events.clear()
    doc.answered(None, some_stages())
    assert events == ["traced", ("error", None, True)] and doc.stages_current


def test_another_program_drops_everything_derived_from_the_old_one():
    doc = Document()
    doc.answered(None, some_stages())
    doc.selection, doc.device_results = ["e3"], {"bench": object()}
    events = recorded(doc)
    doc.load("/home/me/model.py", "/home/me/model.py")
    assert events[0] == "program" and not doc.has_stages and doc.stages.stages == []
    assert doc.selection == [] and doc.device_results == {}
    assert doc.title() == "model.py — jaxviz"
    doc.edit()
    assert doc.title() == "model.py • — jaxviz"
    doc.saved("/home/me/model.py")
    assert doc.title() == "model.py — jaxviz"


def test_the_document_needs_no_qt():
    code = ("import sys\nimport jaxviz.ui.document\n"
            "assert not [m for m in sys.modules if m.startswith('PySide6')]\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
