"""The code editor on its own: line numbers stand at their lines, wrapped or not."""

from jaxviz.ui.editor import CodeEditor

LONG = "# " + "a long comment that wraps " * 8


def test_each_number_stands_at_its_line_when_lines_wrap(qtbot):
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.resize(260, 400)
    editor.setPlainText("\n".join([LONG, "x = 1", LONG, "y = 2", "z = 3"]))
    editor.show()
    qtbot.waitExposed(editor)
    doc, offset = editor.document(), editor.contentOffset()
    numbers = editor.visible_numbers(400)
    assert [n for n, _ in numbers][:5] == [1, 2, 3, 4, 5]
    for number, top in numbers[:5]:
        block = doc.findBlockByNumber(number - 1)
        assert top == round(editor.blockBoundingGeometry(block).translated(offset).top())
    assert numbers[1][1] - numbers[0][1] > 2 * editor.fontMetrics().height()  # line 1 wraps
