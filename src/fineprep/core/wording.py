"""Counts in words: "1 record", "2 records", "12,000 records".

Summaries and findings are read by people who fix data; "1 records" reads like a bug in the
tool, and a hand-written conditional at every call site is how some of them were missed.
"""

from __future__ import annotations


def count(n: int, noun: str, plural: str = "") -> str:
    """``n`` with thousands separators and ``noun`` in the number ``n`` asks for."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
