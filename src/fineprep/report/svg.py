"""Hand-written inline SVG charts for the HTML report.

No plotting library: the report must be one file that opens offline, and the charts are
simple. Every label is data (file names, class labels, codes), so each element is built by
:func:`el`, which escapes every attribute value and text child; only what ``el`` returns is
trusted as markup. Bars carry their numbers as text and distinguish series by pattern as well
as colour, so the charts read in greyscale print and without colour vision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:-]*")
WIDTH = 720
_VALUE_ROOM = 120
#: A horizontal bar: label, value, pattern index (0 solid, 1 hatched, 2 dotted), link.
Bar = tuple[str, int, int, str | None]


def el(tag: str, attrs: Mapping[str, object] | None = None, *children: str | Markup) -> Markup:
    """One element; text children and attribute values are escaped, Markup children are not."""
    if not _NAME.fullmatch(tag):
        raise ValueError(f"bad element name {tag!r}")
    parts = [f"<{tag}"]
    for key, value in (attrs or {}).items():
        if not _NAME.fullmatch(key):
            raise ValueError(f"bad attribute name {key!r}")
        if value is not None:
            parts.append(f' {key}="{escape(str(value))}"')
    body = "".join(str(escape(child)) for child in children)
    return Markup(f"{''.join(parts)}>{body}</{tag}>")


def num(n: float) -> str:
    """``1234567`` -> ``1,234,567`` (integers), one decimal otherwise."""
    return f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"


def short(n: float) -> str:
    """Axis labels: ``1200`` -> ``1.2k``, ``3000000`` -> ``3M``."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(n) >= size:
            value = n / size
            return f"{value:.0f}{suffix}" if value.is_integer() else f"{value:.1f}{suffix}"
    return f"{n:g}"


def clip(label: str, width: int) -> str:
    """Shorten a label to fit beside its bar (the full label stays in the bar's tooltip)."""
    return label if len(label) <= width else label[: width - 1] + "…"


def nice_step(span: float, ticks: int = 5) -> float:
    """A 1/2/5 x 10^k step giving about ``ticks`` intervals over ``span``; at least 1, since
    token counts are whole numbers."""
    raw = max(span / ticks, 1.0)
    base = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * base for m in (1, 2, 5, 10) if m * base >= raw))


def _svg(ident: str, height: int, title: str, desc: str, *body: Markup) -> Markup:
    return el(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{ident}-t {ident}-d",
            "class": "chart",
            "id": ident,
        },
        el("title", {"id": f"{ident}-t"}, title),
        el("desc", {"id": f"{ident}-d"}, desc),
        _patterns(ident),
        *body,
    )


def _patterns(ident: str) -> Markup:
    """Fills that differ in shape, not only in colour: solid, hatched, dotted."""
    hatch = el(
        "pattern",
        {
            "id": f"{ident}-hatch",
            "width": 6,
            "height": 6,
            "patternUnits": "userSpaceOnUse",
            "patternTransform": "rotate(45)",
        },
        el("rect", {"width": 6, "height": 6, "class": "pat-bg"}),
        el("line", {"x1": 0, "y1": 0, "x2": 0, "y2": 6, "class": "pat-fg"}),
    )
    dots = el(
        "pattern",
        {"id": f"{ident}-dots", "width": 5, "height": 5, "patternUnits": "userSpaceOnUse"},
        el("rect", {"width": 5, "height": 5, "class": "pat-bg"}),
        el("circle", {"cx": 2.5, "cy": 2.5, "r": 1.3, "class": "pat-fg"}),
    )
    return el("defs", None, hatch, dots)


def _fill(ident: str, index: int) -> str | None:
    return [None, f"url(#{ident}-hatch)", f"url(#{ident}-dots)"][index % 3]


def _scale(data_max: float, limit: int | None) -> tuple[float, bool]:
    """Axis maximum, and whether the limit is off that scale.

    When the limit is far beyond the data (the common, healthy case) the axis stays on the
    data so its shape remains readable, and the limit is marked at the right edge instead.
    """
    data_max = max(data_max, 1)
    if not limit:
        return float(data_max), False
    if limit > 2 * data_max:
        return float(data_max), True
    return max(data_max, limit) * 1.05, False


def _limit(limit: int, x: float, y0: float, y1: float, off_scale: bool, data_max: int) -> Markup:
    """The model's per-record limit: a dashed line with its value written beside it."""
    label = f"limit {limit:,}"
    if off_scale:
        x = WIDTH - 14
        label += f", off scale: the longest record uses {100 * data_max / limit:.2g}% of it"
    return el(
        "g",
        {"class": "limit", "data-limit": limit},
        el("line", {"x1": x, "y1": y0, "x2": x, "y2": y1}),
        el("text", {"x": x - 4, "y": y0 + 10, "text-anchor": "end"}, label),
    )


def token_histogram(
    ident: str,
    name: str,
    edges: Sequence[int],
    counts: Sequence[int],
    limit: int | None,
    *,
    sampled: bool,
) -> Markup:
    """Records per token-length bin, with the per-record limit as a labelled dashed line."""
    data_max = edges[-1]
    xmax, off_scale = _scale(data_max, limit)
    height, left, top, bottom = 260, 56, 36, 44
    right = 60 if off_scale else 24
    pw, ph = WIDTH - left - right, height - top - bottom
    ymax = max(counts) or 1

    def x(v: float) -> float:
        return round(left + pw * min(v, xmax) / xmax, 1)

    unit = "records in sample" if sampled else "records"
    parts: list[Markup] = []
    over = 0
    for lo, hi, count in zip(edges[:-1], edges[1:], counts, strict=True):
        is_over = limit is not None and lo >= limit
        over += count if is_over else 0
        bar = round(ph * count / ymax, 1)
        attrs = {
            "x": x(lo),
            "y": round(top + ph - bar, 1),
            "width": max(round(x(hi) - x(lo) - 1, 1), 1),
            "height": bar,
            "class": "bar over" if is_over else "bar",
            "fill": _fill(ident, 1) if is_over else None,
        }
        what = unit if count != 1 else unit.replace("records", "record")
        tip = f"{lo:,}-{max(hi - 1, lo):,} tokens: {count:,} {what}"
        parts.append(el("rect", attrs, el("title", None, tip)))
    parts.extend(_axes(left, top, pw, ph, xmax, ymax, "tokens per record", unit))
    if limit:
        parts.append(_limit(limit, x(limit), top - 22, top + ph, off_scale, data_max))
    desc = f"{name}: {sum(counts):,} {unit} between {edges[0]:,} and {data_max:,} tokens"
    if limit:
        desc += f"; model limit {limit:,} tokens per record, {over:,} at or over it"
    return _svg(ident, height, f"Token length distribution: {name}", desc + ".", *parts)


def _axes(
    left: float, top: float, pw: float, ph: float, xmax: float, ymax: float, xt: str, yt: str
) -> list[Markup]:
    base = top + ph
    out = [
        el("line", {"x1": left, "y1": base, "x2": left + pw, "y2": base, "class": "axis"}),
        el("line", {"x1": left, "y1": top, "x2": left, "y2": base, "class": "axis"}),
        el("text", {"x": left + pw / 2, "y": base + 36, "text-anchor": "middle"}, xt),
        el("text", {"x": 4, "y": top - 12, "class": "unit"}, yt),
    ]
    step = nice_step(xmax)
    ticks = [i * step for i in range(int(xmax / step) + 1)]
    for tick in ticks:
        tx = round(left + pw * tick / xmax, 1)
        out.append(el("line", {"x1": tx, "y1": base, "x2": tx, "y2": base + 4, "class": "axis"}))
        out.append(el("text", {"x": tx, "y": base + 16, "text-anchor": "middle"}, short(tick)))
    for value in (0, ymax):
        ty = round(top + ph - ph * value / ymax, 1)
        out.append(el("text", {"x": left - 6, "y": ty + 4, "text-anchor": "end"}, short(value)))
    return out


def token_percentiles(
    ident: str, name: str, summary: Mapping[str, Any], limit: int | None
) -> Markup:
    """Token length percentiles (p50 .. max) as bars, with the limit, when no histogram exists."""
    keys = ("p50", "p90", "p95", "p99", "max")
    rows: list[tuple[str, int]] = [(k, summary[k]) for k in keys if type(summary.get(k)) is int]
    data_max = max((v for _, v in rows), default=0)
    scale, off_scale = _scale(data_max, limit)
    label_width, top = 60, 24
    bars: list[Bar | None] = [(k, v, 0, None) for k, v in rows]
    height, parts = _hbars(ident, bars, scale, label_width, top=top)
    if limit:
        lx = round(label_width + (WIDTH - label_width - _VALUE_ROOM) * limit / scale, 1)
        parts.append(_limit(limit, lx, top - 20, height - 8, off_scale, data_max))
    desc = f"{name}: " + ", ".join(f"{k} {v:,} tokens" for k, v in rows)
    if limit:
        desc += f"; model limit {limit:,} tokens per record"
    return _svg(ident, height, f"Token length percentiles: {name}", desc + ".", *parts)


def _hbars(
    ident: str,
    rows: Sequence[Bar | None],
    scale: float,
    label_width: int,
    *,
    row_height: int = 22,
    gap: int = 8,
    top: int = 8,
) -> tuple[int, list[Markup]]:
    """Horizontal bars: (label, value, pattern index, link) per row, ``None`` for a gap; the
    value is printed after each bar."""
    plot = WIDTH - label_width - _VALUE_ROOM
    parts: list[Markup] = []
    yy = top
    for row in rows:
        if row is None:
            yy += gap
            continue
        label, value, pattern, link = row
        width = round(plot * min(value / scale, 1.0), 1) if scale else 0
        group = [
            el(
                "text",
                {"x": label_width - 6, "y": yy + 14, "text-anchor": "end"},
                clip(label, label_width // 7),
            ),
            el(
                "rect",
                {
                    "x": label_width,
                    "y": yy + 3,
                    "width": max(width, 1.5 if value else 0),
                    "height": row_height - 6,
                    "class": f"bar s{pattern % 3}",
                    "fill": _fill(ident, pattern),
                },
                el("title", None, f"{label}: {value:,}"),
            ),
            el("text", {"x": label_width + width + 6, "y": yy + 14}, f"{value:,}"),
        ]
        g = el("g", None, *group)
        parts.append(el("a", {"href": link}, g) if link else g)
        yy += row_height
    return yy + 8, parts


def class_balance(
    ident: str, classes: Sequence[tuple[str, Mapping[str, int]]], splits: Sequence[str], more: int
) -> Markup:
    """Records per class, one bar per split (patterned and labelled with the split's name)."""
    rows: list[Bar | None] = []
    scale = max((n for _, per in classes for n in per.values()), default=0) or 1
    for label, per in classes:
        for i, split in enumerate(splits):
            rows.append((f"{label} · {split}", int(per.get(split, 0)), i, None))
        rows.append(None)
    height, parts = _hbars(ident, rows[:-1], scale, 230, row_height=18)
    desc = f"{len(classes):,} classes across {', '.join(splits)}" + (
        f"; {more:,} smaller classes not drawn" if more else ""
    )
    return _svg(ident, height, "Class balance per split", desc + ".", *parts)


def score_histogram(
    ident: str, name: str, bins: Sequence[Sequence[float]], top: float | None
) -> Markup:
    """Graded records per score bin (``[low, high, count]``); bins below the top score are
    hatched, so a grader that under-scores reference answers shows at a glance."""
    last = len(bins) - 1
    rows: list[Bar | None] = []
    for i, (lo, hi, count) in enumerate(bins):
        label = f"{lo:g}" if hi - lo <= 0 or (i == last and lo == hi) else f"{lo:g} to {hi:g}"
        below = top is not None and hi <= top and not (i == last and hi >= top)
        rows.append((label, int(count), 1 if below else 0, None))
    scale = max((int(b[2]) for b in bins), default=0) or 1
    height, parts = _hbars(ident, rows, scale, 120)
    total = sum(int(b[2]) for b in bins)
    desc = f"{name}: {total:,} graded records in {len(bins)} score bins"
    if top is not None:
        desc += f"; top score {top:g}"
    return _svg(ident, height, f"Score distribution: {name}", desc + ".", *parts)


def findings_by_code(ident: str, rows: Sequence[tuple[str, str, str, int]]) -> Markup:
    """Findings per code (code, name, severity, count); each bar links to its section."""
    pattern = {"error": 0, "warning": 1, "info": 2}
    bars: list[Bar | None] = [
        (f"{code} {name} ({severity})", count, pattern.get(severity, 2), f"#code-{code}")
        for code, name, severity, count in rows
    ]
    height, parts = _hbars(ident, bars, max((c for *_, c in rows), default=1), 260)
    desc = "; ".join(f"{code}: {count:,}" for code, _, _, count in rows)
    return _svg(ident, height, "Findings by code", desc + ".", *parts)
