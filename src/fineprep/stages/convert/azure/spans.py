"""Azure Document Intelligence spans, read in the unit the result counts them in.

A span's ``offset`` and ``length`` index the result's ``content`` in the unit its
``stringIndexType`` names: ``textElements`` (user-perceived characters, grapheme clusters; the
REST API's default), ``unicodeCodePoint`` (what the Python SDK asks for, and Python's own
``str`` indices) or ``utf16CodeUnit`` (what Java, JavaScript and .NET count). Slicing a text with
emoji or combining accents by the wrong unit moves every later span: a page takes the first
letters of the next one and the last page comes out blank. A result that names no unit is
read in code points, as such files come from the Python SDK.

Grapheme clusters are found with the ``regex`` module's ``\\X`` (the Unicode version it ships);
the service counts by Unicode 8.0.0, which differs only for some emoji sequences (ZWJ
families, flags). A span that does not fall on a boundary of the declared unit does not fit.
"""

from __future__ import annotations

from functools import cached_property
from itertools import accumulate

import regex

_CLUSTER = regex.compile(r"\X")
#: Units whose offsets are Python ``str`` indices.
_CODE_POINTS = frozenset({"", "unicodeCodePoint"})


class Spans:
    """Offsets of one result's ``content`` in its declared unit, as ``str`` indices (worked out
    on the first span read: most pages are read from their lines, and never need them)."""

    def __init__(self, content: str, unit: str) -> None:
        self.content = content
        self.unit = unit

    @cached_property
    def index(self) -> dict[int, int] | None:
        """Offset in the declared unit -> ``str`` index, at every boundary (None: the same)."""
        content = self.content
        if self.unit in _CODE_POINTS or (content.isascii() and "\r\n" not in content):
            return None  # ASCII without CRLF: every unit counts one per character
        if self.unit == "utf16CodeUnit":
            units = accumulate((2 if ord(ch) > 0xFFFF else 1 for ch in content), initial=0)
            return {u: n for n, u in enumerate(units)}
        # textElements, and a unit this code does not know (the service's default)
        return dict(enumerate(accumulate((len(m) for m in _CLUSTER.findall(content)), initial=0)))

    def text(self, offset: int, length: int) -> str | None:
        """The text of one span, or None when it does not fit the content."""
        if offset < 0 or length < 0:
            return None
        index = self.index
        if index is None:
            end = offset + length
            return self.content[offset:end] if end <= len(self.content) else None
        start, stop = index.get(offset), index.get(offset + length)
        if start is None or stop is None:
            return None
        return self.content[start:stop]
