"""The code editor: Python highlighting by pygments, line numbers, the error line, the node line.

Highlighting runs pygments' Python lexer over the whole text and paints the tokens into each
block; lexing a few hundred lines takes a few milliseconds, so it is redone on each change.
"""

from __future__ import annotations

from pygments.lexers import PythonLexer
from pygments.styles import get_style_by_name
from pygments.token import Token
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget


def code_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(10)
    return font


class PygmentsHighlighter(QSyntaxHighlighter):
    """Colours from a pygments style, tokens from pygments' Python lexer."""

    def __init__(self, document, style: str = "default"):
        super().__init__(document)
        self.lexer = PythonLexer(stripnl=False, ensurenl=False)
        self.formats: dict = {}
        for token, spec in get_style_by_name(style):
            fmt = QTextCharFormat()
            if spec["color"]:
                fmt.setForeground(QColor(f"#{spec['color']}"))
            if spec["bold"]:
                fmt.setFontWeight(QFont.Weight.Bold)
            if spec["italic"]:
                fmt.setFontItalic(True)
            self.formats[token] = fmt
        self.spans: dict[int, list[tuple[int, int, QTextCharFormat]]] = {}
        self._busy = False
        self._lexed: str | None = None
        document.contentsChange.connect(self._relex)

    def _format(self, token) -> QTextCharFormat | None:
        while token is not Token and token not in self.formats:
            token = token.parent
        return self.formats.get(token)

    def _relex(self, position: int = 0, removed: int = 0, added: int = 0) -> None:
        """Tokenise the whole document once; highlightBlock only looks its block up."""
        text = self.document().toPlainText()
        if self._busy or text == self._lexed:  # our own format changes, not an edit
            return
        self._lexed = text
        spans: dict[int, list] = {}
        line, col = 0, 0
        for _, token, value in self.lexer.get_tokens_unprocessed(text) if text else []:
            fmt = self._format(token)
            for k, part in enumerate(value.split("\n")):
                if k:
                    line, col = line + 1, 0
                if part and fmt is not None:
                    spans.setdefault(line, []).append((col, len(part), fmt))
                col += len(part)
        self.spans = spans
        self._busy = True
        try:
            self.rehighlight()
        finally:
            self._busy = False

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for start, length, fmt in self.spans.get(self.currentBlock().blockNumber(), []):
            self.setFormat(start, length, fmt)


class LineNumberArea(QWidget):
    def __init__(self, editor: CodeEditor):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.editor.line_number_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.editor.paint_line_numbers(event)


class CodeEditor(QPlainTextEdit):
    """A Python editor that marks an error line and the line of the selected node."""

    lineClicked = Signal(int)  # 1-based line under a click

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFont(code_font())
        self.set_wrap(True)  # the column is narrow at 1280 px: long lines wrap, none is cut
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.highlighter = PygmentsHighlighter(self.document())
        self.numbers = LineNumberArea(self)
        self.error_line: int | None = None
        self.error_message = ""
        self.focus_line: int | None = None
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._scroll_numbers)
        self._update_margin()

    def set_wrap(self, on: bool) -> None:
        """Long lines wrap at the column's width (View → Wrap long lines), or scroll."""
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth if on
                             else QPlainTextEdit.LineWrapMode.NoWrap)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Enter keeps the line's indentation, one level more after a ``:`` (def, if, for)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            line = self.textCursor().block().text()[:self.textCursor().positionInBlock()]
            indent = line[:len(line) - len(line.lstrip())]
            if line.rstrip().endswith(":"):
                indent += "    "
            self.textCursor().insertText("\n" + indent)
            self.ensureCursorVisible()
            return
        super().keyPressEvent(event)

    # --- line numbers ---------------------------------------------------------------------

    def line_number_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * (digits + 1)

    def _update_margin(self, *_) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _scroll_numbers(self, rect, dy) -> None:
        if dy:
            self.numbers.scroll(0, dy)
        else:
            self.numbers.update(0, rect.y(), self.numbers.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.numbers.setGeometry(QRect(cr.left(), cr.top(), self.line_number_width(),
                                       cr.height()))

    def paint_line_numbers(self, event) -> None:
        painter = QPainter(self.numbers)
        painter.fillRect(event.rect(), self.palette().alternateBase())
        height = self.fontMetrics().height()
        for number, top in self.visible_numbers(event.rect().bottom()):
            if number == self.error_line:
                painter.fillRect(0, top, self.numbers.width(), height, QColor("#f87171"))
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(0, top, self.numbers.width() - 6, height,
                             Qt.AlignmentFlag.AlignRight, str(number))

    def visible_numbers(self, bottom: int) -> list[tuple[int, int]]:
        """(line number, top in the viewport) of each line shown down to ``bottom``: a line
        that wraps is as tall as its rows, and its number stands at its first."""
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        found = []
        while block.isValid() and top <= bottom:
            found.append((block.blockNumber() + 1, top))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        return found

    # --- marks ----------------------------------------------------------------------------

    def set_error(self, line: int | None, message: str = "") -> None:
        """Mark the error's line (red) with its message as the line's tooltip."""
        self.error_line, self.error_message = line, message
        self.setToolTip(f"line {line}: {message}" if line else "")
        self._refresh_marks()
        self.numbers.update()

    def show_line(self, line: int | None, column: int | None = None) -> None:
        """Highlight the line a selected node came from, and scroll to it."""
        self.focus_line = line
        self._refresh_marks()
        if line:
            block = self.document().findBlockByNumber(line - 1)
            cursor = QTextCursor(block)
            if column:
                cursor.movePosition(QTextCursor.MoveOperation.Right, n=min(column,
                                                                           block.length() - 1))
            self.setTextCursor(cursor)
            self.centerCursor()

    def _line_selection(self, line: int, color: str) -> QTextEdit.ExtraSelection:
        sel = QTextEdit.ExtraSelection()
        sel.format.setBackground(QColor(color))
        sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        sel.cursor = QTextCursor(self.document().findBlockByNumber(line - 1))
        return sel

    def _refresh_marks(self) -> None:
        marks = []
        if self.error_line:
            marks.append(self._line_selection(self.error_line, "#fde2e1"))
        if self.focus_line:
            marks.append(self._line_selection(self.focus_line, "#fef3c7"))
        self.setExtraSelections(marks)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self.error_line and self.error_message:
            self._paint_error_message()

    def _paint_error_message(self) -> None:
        """The error's message after the end of its line, as code editors show diagnostics."""
        block = self.document().findBlockByNumber(self.error_line - 1)
        if not block.isValid() or not block.isVisible():
            return
        geometry = self.blockBoundingGeometry(block).translated(self.contentOffset())
        x = self.fontMetrics().horizontalAdvance(block.text() + "    ") + 4
        x -= self.horizontalScrollBar().value()
        painter = QPainter(self.viewport())
        painter.setPen(QColor("#b91c1c"))
        painter.drawText(int(x), int(geometry.top()), max(self.viewport().width() - int(x), 0),
                         int(geometry.height()), Qt.AlignmentFlag.AlignVCenter,
                         "◀ " + self.error_message.splitlines()[0])
        painter.end()

    def current_line(self) -> int:
        return self.textCursor().blockNumber() + 1

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        if not self.textCursor().hasSelection():
            self.lineClicked.emit(self.current_line())
