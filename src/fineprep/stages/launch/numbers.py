"""Hyperparameter numbers as users and AWS write them, read one way for every job type.

Supervised ``hyperParameters`` are strings and RFT's ``rftConfig.hyperParameters`` are typed
numbers, but a value typed on the command line is text either way, and AWS's own pages and
notebooks write decimals both plainly and with an exponent (``0.00001``, ``1e-5``,
``1.00E-07``). Reading both paths through this one module keeps them accepting the same
spellings and refusing the same non-numbers (NaN, infinity, hex, digit separators), which
``Decimal`` alone would let through.
"""

from __future__ import annotations

import re
from decimal import Decimal

INT = re.compile(r"[+-]?\d+")
#: Decimals as AWS's own notebooks write them: ``0.00001``, ``1e-5``, ``1.00E-07``.
DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_number(text: str, kind: str) -> Decimal | None:
    """``text`` as an exact number when it is written as ``kind`` takes it ("int": a whole
    number without a decimal point; otherwise a decimal, exponent allowed), else None."""
    text = text.strip()
    if not (INT if kind == "int" else DECIMAL).fullmatch(text):
        return None
    return Decimal(text)


def plain(value: Decimal) -> str:
    """``value`` without an exponent or trailing zeros (``1.00E-05`` -> ``0.00001``), the form
    AWS's samples send."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
