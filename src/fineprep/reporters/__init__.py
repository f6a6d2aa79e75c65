"""Reporters: one registry, each renders a CheckResult to text.

Machine formats (json, sarif, github) print nothing but their document on stdout, so they can
be piped; the human format prints a summary line.
"""

from __future__ import annotations

from fineprep.reporters.base import REPORTERS, Reporter, render

__all__ = ["REPORTERS", "Reporter", "render"]
