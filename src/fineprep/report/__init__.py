"""Reporters: one registry, each renders a CheckResult to text.

Machine formats (json, sarif, github) print nothing but their document on stdout, so they can
be piped; the human format prints a summary line.

May import: fineprep.core, fineprep.formats, fineprep.io, fineprep.tokens, fineprep.engines and the
stages whose results it renders (fineprep.stages.convert, fineprep.stages.check,
fineprep.stages.split, fineprep.stages.augment, fineprep.stages.grade).
"""

from __future__ import annotations

from fineprep.report.base import REPORTERS, Reporter, render

__all__ = ["REPORTERS", "Reporter", "render"]
