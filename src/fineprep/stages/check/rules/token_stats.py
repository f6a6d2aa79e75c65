"""Token statistics from exact counts or a uniform sample, with a 95% interval for totals."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fineprep.stages.check.state import RunState

Z95 = 1.959964


def percentile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(counts: list[int], population: int, *, exact: bool, epochs: int) -> dict[str, Any]:
    """Totals and percentiles; for a sample, the total is N x mean with a finite-population
    corrected normal interval (the sample is a uniform draw by content hash)."""
    values = sorted(counts)
    n = len(values)
    mean = sum(values) / n if n else 0.0
    out: dict[str, Any] = {
        "records": population,
        "tokenized": n,
        "exact": exact or n == population,
        "mean": round(mean, 1),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": values[-1] if values else 0,
        "epochs": epochs,
    }
    if out["exact"]:
        total = sum(values)
        out["total"] = total
        out["interval"] = [total, total]
    else:
        var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
        fpc = math.sqrt((population - n) / (population - 1)) if population > 1 else 0.0
        half = Z95 * math.sqrt(var / n) * fpc * population if n else 0.0
        total = round(mean * population)
        out["total"] = total
        out["interval"] = [max(0, round(total - half)), round(total + half)]
    out["training_tokens"] = out["total"] * epochs
    return out


def histogram(values: list[int], bins: int = 20) -> dict[str, list[int]]:
    """About ``bins`` equal-width bins with round edges (1, 2 or 5 times a power of ten), for
    the report's token-length chart."""
    top = max(values, default=0) + 1
    raw = max(top / bins, 1.0)
    base = 10 ** math.floor(math.log10(raw))
    width = int(next(m * base for m in (1, 2, 5, 10) if m * base >= raw))
    n = math.ceil(top / width)
    counts = [0] * n
    for v in values:
        counts[v // width] += 1
    return {"edges": [i * width for i in range(n + 1)], "counts": counts}


def epochs_of(run: RunState) -> int:
    """The epochs of the job: --epochs, the epochCount hyperparameter, or its default (also
    for a word a model takes instead of a number, ``"Auto"``: Bedrock then chooses, and the
    default is the estimate)."""
    if run.settings.epochs:
        return run.settings.epochs
    value = run.settings.hyperparameters.get("epochCount")
    if value is not None:
        try:
            return int(value)
        except (TypeError, ValueError):
            pass
    hp = run.profile.hyperparameter("epochCount") if run.profile else None
    try:
        return int(hp.default) if hp and hp.default is not None else 1
    except (TypeError, ValueError):
        return 1


def stats_message(s: dict[str, Any]) -> str:
    if s["exact"]:
        total = f"{s['total']:,} tokens in {s['records']:,} records"
    else:
        lo, hi = s["interval"]
        total = (
            f"about {s['total']:,} tokens in {s['records']:,} records (95% interval "
            f"{lo:,}-{hi:,}, from a sample of {s['tokenized']:,})"
        )
    return (
        f"{total}; p50 {s['p50']:,}, p95 {s['p95']:,}, max {s['max']:,}; x{s['epochs']} "
        f"epochs = {s['training_tokens']:,} training tokens"
    )
