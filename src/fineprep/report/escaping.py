"""Text from the data made inert before any reporter prints it.

Record keys (in JSON paths), values, file names and sidecar sources are written by whoever made
the data. Printed raw, they can drive the terminal (ESC sequences that rewrite or hide lines),
fake a line of output (CR, LF), reorder what a reviewer reads (the bidirectional overrides of
"Trojan Source": U+202A-202E, U+2066-2069) or, at the start of a line in a CI log, be run as a
GitHub workflow command (``::error file=...::``, ``::add-mask::``). Every reporter passes such
text through :func:`visible`: each of those characters is shown as its escape (``\\x1b``,
``\\u202e``), so the report shows what is in the data without obeying it.
"""

from __future__ import annotations

import re

#: C0 controls, DEL and C1 controls, bidirectional marks, embeddings, overrides and isolates,
#: the Unicode line and paragraph separators, and the BOM / zero-width no-break space.
FORMAT_CHARS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{FORMAT_CHARS}]")
#: The same, but tab and newline stay (multi-line excerpts in a <pre>).
_UNSAFE_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{FORMAT_CHARS}]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` with control and direction-changing characters written as escapes."""
    pattern = _UNSAFE_MULTILINE if multiline else _UNSAFE
    return pattern.sub(_escape, text) if pattern.search(text) else text


def line_start(text: str) -> str:
    """A line of a text report that cannot start a GitHub workflow command: a line that
    starts with ``::``, after any spaces, as the runner reads it (a file named
    ``::error file=x::...``) starts with ``./`` instead."""
    return f"./{text}" if text.lstrip().startswith("::") else text


def inert(value: object) -> object:
    """Jinja ``finalize`` of the HTML report: plain strings (data) get :func:`visible` with
    their tabs and newlines kept; markup the report built itself (charts) passes as it is."""
    return visible(value, multiline=True) if type(value) is str else value
