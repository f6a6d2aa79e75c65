"""Limit verdicts from a count that may be a range: what is proven, what is only likely.

A count is ``(estimate, low, high)``. It is exact when the model's own tokenizer counted the
text and every allowance (template, images) is known: then ``low == high``. Otherwise ``low``
is what the count is at least -- by a proven bound, or by the lower edge of the proxy's
calibrated band -- and ``high`` what it is at most. The rule, the same for every model:

* an error (T001-T003) only when ``low`` is over the limit;
* T006, a warning, when the estimate is over the limit but ``low`` is not: it names the
  uncertainty (the proxy and its band, or the image sizes the charge depends on);
* T004 when the estimate is within 10% of the limit, or the band reaches over it.
"""

from __future__ import annotations

from typing import Any

NEAR = 0.9
WHAT = {"T001": "record", "T002": "input", "T003": "output"}

#: (code, message, data) of one finding.
Verdict = tuple[str, str, dict[str, Any]]


def judge(
    code: str, count: tuple[int, int, int], limit: int, label: str, base: dict[str, Any]
) -> Verdict | None:
    """The finding (if any) for one limit. ``label`` says where the uncertainty comes from
    ("exact (llama3)", "estimate (o200k_base proxy ...)", "images counted 1,601-6,404 each")."""
    est, low, high = count
    exact = low == high
    what = WHAT[code]
    data: dict[str, Any] = {**base, "tokens": est, "limit": limit, "exact": exact}
    if not exact:
        data["tokens_low"], data["tokens_high"] = low, high
    if low > limit:
        if exact:
            return code, f"{what} has {est:,} tokens; the limit is {limit:,} ({label})", data
        return (
            code,
            f"{what} has at least {low:,} tokens (about {est:,}); the limit is {limit:,} ({label})",
            data,
        )
    if est > limit:
        return (
            "T006",
            f"{what} may be over the limit: about {est:,} tokens, {low:,}-{high:,} by the "
            f"uncertainty of the count; the limit is {limit:,} ({label})",
            {**data, "limit_code": code},
        )
    if est >= limit * NEAR or high > limit:
        data["percent"] = round(100 * est / limit, 1)
        span = "" if exact else f", {low:,}-{high:,}"
        return (
            "T004",
            f"{what} has {'about ' if not exact else ''}{est:,} tokens{span}, "
            f"{data['percent']}% of the {limit:,} limit ({label})",
            {**data, "limit_code": code},
        )
    return None
