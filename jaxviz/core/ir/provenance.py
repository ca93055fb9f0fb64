"""Marks that say "jaxviz wrote this file", and the check that reads them back.

Every export carries one (a DOT comment, a JSON field, a PNG ``tEXt`` chunk, a PDF comment, a
comment before an SVG's root element or atop an HTML diff), so that writing a file again
can tell a previous export, which it may replace, from a file of the user's, which it must not.
"""

from __future__ import annotations

import zlib
from pathlib import Path

MARK = b"jaxviz"
DOT_MARK = "// written by jaxviz"
HTML_MARK = "<!-- written by jaxviz -->"  # atop HTML diffs, and before an SVG's root
HEAD_BYTES = 64 * 1024  # where a text format's mark must appear
TAIL_BYTES = 1024  # where a PDF's mark sits, just before %%EOF
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF"}


def mark_png(data: bytes) -> bytes:
    """The PNG with a ``tEXt`` chunk ``Software=jaxviz`` right after its header chunk."""
    if not data.startswith(MAGIC["png"]):
        return data
    ihdr_end = 8 + 8 + int.from_bytes(data[8:12], "big") + 4  # signature, IHDR head, body, CRC
    body = b"tEXtSoftware\0" + MARK
    chunk = (len(body) - 4).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    return data[:ihdr_end] + chunk + data[ihdr_end:]


def mark_svg(data: bytes) -> bytes:
    """The SVG with a comment before its root element (where XML allows one)."""
    at = data.find(b"<svg")
    return data if at < 0 else data[:at] + HTML_MARK.encode() + b"\n" + data[at:]


def mark_pdf(data: bytes) -> bytes:
    """The PDF with a comment before its final ``%%EOF``: after every offset the file's
    cross-reference table names, so nothing moves and the file stays valid."""
    at = data.rfind(b"%%EOF")
    return data if at < 0 else data[:at] + b"%" + MARK + b"\n" + data[at:]


def is_previous_export(path: Path, fmt: str) -> bool:
    """True when ``path`` holds a file that jaxviz wrote in format ``fmt``."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
            f.seek(0, 2)
            f.seek(max(0, f.tell() - TAIL_BYTES))
            tail = f.read()
    except OSError:
        return False
    if fmt in MAGIC:
        return head.startswith(MAGIC[fmt]) and MARK in (head if fmt == "png" else tail)
    if fmt == "svg":
        return b"<svg" in head and HTML_MARK.encode() in head
    if fmt == "dot":
        return head.startswith(DOT_MARK.encode())
    if fmt == "html":
        return HTML_MARK.encode() in head[:512]
    if fmt == "json":
        return head.lstrip().startswith(b"{") and b'"generator": "jaxviz' in head
    return False
