"""Highlighting for the stage text: a jaxpr, StableHLO (MLIR) or HLO, by a few regular
expressions (no lexer knows jaxprs). Line by line, so a 30,000-line text costs only the lines
Qt shows."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

RULES = [  # (pattern, colour, bold): later rules paint over earlier ones
    (r"\b[a-z]+\d*\[[^\]]*\](\{[^}]*\})?", "#0f766e", False),  # f32[8,3]{1,0}: a type
    (r"tensor<[^>]*>", "#0f766e", False),  # StableHLO types
    (r"=\s*(?:stablehlo\.|mhlo\.|func\.|chlo\.)?([A-Za-z_][\w\-]*)", "#7c3aed", True),  # op
    (r"%[\w.\-]+|\^bb\d+", "#1d4ed8", False),  # HLO / MLIR names
    (r"\b(lambda|let|in|ENTRY|ROOT|HloModule|module|func\.func|return)\b", "#b91c1c", True),
    (r'"[^"]*"', "#92400e", False),  # strings: op_name metadata, attributes
]


def _format(colour: str, bold: bool) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


class IRHighlighter(QSyntaxHighlighter):
    """Types, operation names, value names, keywords and strings of a stage's text."""

    def __init__(self, document):
        super().__init__(document)
        self.rules = [(re.compile(p), _format(c, b)) for p, c, b in RULES]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        if len(text) > 2000:  # a very long line (a big constant): left plain
            return
        for pattern, fmt in self.rules:
            for match in pattern.finditer(text):
                group = 1 if pattern.groups and match.group(1) is not None and \
                    "=" in match.group(0) else 0
                start, end = match.span(group)
                self.setFormat(start, end - start, fmt)
