"""The charts of the HTML report, from the run's statistics and findings.

Shapes read from ``CheckResult.stats``:

- ``stats["tokens"][path]``: T005's per-file summary (``p50`` .. ``max``, ``exact``,
  ``records``, ``tokenized``), optionally with ``"histogram": {"edges": [e0, .., en],
  "counts": [c1, .., cn]}`` -- ascending integer bin edges (bin i is ``e(i-1) <= tokens <
  e(i)``) and the records (or sampled records) per bin. With a histogram the chart is a
  histogram; without one, the percentiles are drawn.
- ``stats["balance"]``: ``{"classes": {label: {"train": n, "validation": n, "test": n}}}``;
  no chart when absent.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from fineprep.core.rules import code_key
from fineprep.report import svg
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.state import CheckResult

MAX_CLASSES = 40
MAX_TOKEN_CHARTS = 12
SPLIT_ORDER = ("train", "validation", "test")


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    note: str = ""


def record_limit(result: CheckResult) -> int | None:
    p = result.profile
    return p.record_token_limit(result.settings.batch_size()) if p else None


def token_files(result: CheckResult) -> dict[str, dict[str, Any]]:
    tokens = result.stats.get("tokens")
    if not isinstance(tokens, dict):
        return {}
    return {str(k): v for k, v in tokens.items() if isinstance(v, dict)}


def tokens_summary(result: CheckResult) -> dict[str, Any] | None:
    """Totals over files from T005's per-file statistics (None when it did not run)."""
    files = token_files(result)
    if not files:
        return None
    summaries = list(files.values())
    intervals = [s.get("interval") or [s.get("total", 0)] * 2 for s in summaries]
    return {
        "encoding": result.stats.get("encoding"),
        "exact": all(s.get("exact") for s in summaries),
        "total": sum(int(s.get("total", 0)) for s in summaries),
        "interval": [sum(int(i[0]) for i in intervals), sum(int(i[1]) for i in intervals)],
        "training_tokens": sum(int(s.get("training_tokens", 0)) for s in summaries),
        "epochs": summaries[0].get("epochs"),
        "tokenized": result.stats.get("tokenized_records", 0),
        "files": files,
        "limit": record_limit(result),
    }


def histogram(summary: Mapping[str, Any]) -> tuple[list[int], list[int]] | None:
    """``{"edges": [e0..en], "counts": [c1..cn]}`` with ascending integer edges, else None."""
    h = summary.get("histogram")
    if not isinstance(h, dict):
        return None
    edges, counts = h.get("edges"), h.get("counts")
    if not (isinstance(edges, list) and isinstance(counts, list)):
        return None
    if len(edges) != len(counts) + 1 or not counts:
        return None
    if not all(type(v) is int for v in [*edges, *counts]):
        return None
    if any(b <= a for a, b in itertools.pairwise(edges)) or any(c < 0 for c in counts):
        return None
    return edges, counts


def build_charts(result: CheckResult) -> list[Chart]:
    """Token lengths per file, class balance per split, findings by code (each when present)."""
    out: list[Chart] = []
    limit = record_limit(result)
    for i, (name, summary) in enumerate(list(token_files(result).items())[:MAX_TOKEN_CHARTS]):
        ident = f"chart-tokens-{i}"
        hist = histogram(summary)
        if hist is not None:
            sampled = not summary.get("exact", False)
            chart = svg.token_histogram(ident, name, *hist, limit, sampled=sampled)
            note = (
                f"From a sample of {summary.get('tokenized', 0):,} of "
                f"{summary.get('records', 0):,} records."
                if sampled
                else ""
            )
            out.append(Chart(f"Token lengths: {name}", chart, note))
        elif any(k in summary for k in ("p50", "max")):
            chart = svg.token_percentiles(ident, name, summary, limit)
            out.append(Chart(f"Token length percentiles: {name}", chart))
    classes = class_balance(result.stats.get("balance"))
    if classes is not None:
        shown, splits, more = classes
        chart = svg.class_balance("chart-balance", shown, splits, more)
        note = f"The {len(shown):,} largest of {len(shown) + more:,} classes." if more else ""
        out.append(Chart("Class balance per split", chart, note))
    out.extend(score_charts(result))
    by_code = result.by_code()
    if by_code:
        severities = {f.code: f.severity.value for f in result.findings}
        rows = [
            (code, _rule_name(code), severities[code], by_code[code])
            for code in sorted(by_code, key=code_key)
        ]
        out.append(Chart("Findings by code", svg.findings_by_code("chart-codes", rows)))
    return out


def score_charts(result: CheckResult) -> list[Chart]:
    """``fineprep grade``'s score distribution per file (``stats["grade"]``)."""
    graded = result.stats.get("grade")
    if not isinstance(graded, dict):
        return []
    out: list[Chart] = []
    for i, (name, summary) in enumerate(graded.items()):
        bins = summary.get("histogram") if isinstance(summary, dict) else None
        if not bins:
            continue
        span = summary.get("score_range")
        top = float(span[1]) if span else summary.get("max")
        chart = svg.score_histogram(f"chart-scores-{i}", str(name), bins, top)
        note = (
            f"{summary.get('graded', 0):,} records graded with {summary.get('responses')} as "
            f"the model's response; mean {summary.get('mean', 0):g}. Hatched bins are below "
            f"the top score {top:g}."
        )
        out.append(Chart(f"Score distribution: {name}", chart, note))
    return out


def class_balance(
    stats: Any,
) -> tuple[list[tuple[str, dict[str, int]]], list[str], int] | None:
    """``{"classes": {label: {"train": n, "validation": n, "test": n}}}`` -> classes (largest
    first, capped), split names, number of classes not drawn."""
    if not isinstance(stats, dict) or not isinstance(stats.get("classes"), dict):
        return None
    classes: list[tuple[str, dict[str, int]]] = []
    for label, per in stats["classes"].items():
        if isinstance(per, dict):
            counts = {str(s): n for s, n in per.items() if type(n) is int and n >= 0}
            classes.append((str(label), counts))
    if not classes:
        return None
    present = {s for _, per in classes for s in per}
    splits = [s for s in SPLIT_ORDER if s in present] + sorted(present - set(SPLIT_ORDER))
    classes.sort(key=lambda c: (-sum(c[1].values()), c[0]))
    return classes[:MAX_CLASSES], splits, max(len(classes) - MAX_CLASSES, 0)


def _rule_name(code: str) -> str:
    rule = RULES.find(code)
    return rule.name if rule else code
