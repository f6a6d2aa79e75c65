"""``fineprep grade``: call the reward function on every record before the job does.

Batches are graded one after another. A batch the grader fails on is graded again one record at
a time, so each crash is pinned to the record (and line) that causes it; a batch that times out
is reported as such (grading its records one by one would cost the timeout again per record).
A batch Lambda keeps refusing (throttled past its retries) is reported record by record and the
run goes on; after a few such batches in a row the rest is reported as not sent, so a run never
ends without the findings it has made.
The result is a :class:`CheckResult`, so every reporter renders it and ``--fail-on`` applies.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.core.limits import RFT
from fineprep.core.wording import count
from fineprep.stages.check.selection import resolve_selection
from fineprep.stages.check.state import CheckResult, FileState, RunState
from fineprep.stages.grade.calls import Call, Failure, Grader
from fineprep.stages.grade.events import Item, Skipped, read_items
from fineprep.stages.grade.options import (
    DEFAULT_BATCH,
    GradeOptions,
    open_grader,
    options_from,
    score_range,
    timeout_of,
)
from fineprep.stages.grade.shape import read_answer

SLOW = 0.8
STOP_AFTER = 3  # batches in a row refused by Lambda (after their retries) before grading stops
__all__ = ["DEFAULT_BATCH", "GradeOptions", "grade", "options_from", "score_range"]


def grade(
    path: str, settings: Settings, opts: GradeOptions, grader: Grader | None = None
) -> CheckResult:
    """Grade every record of ``path`` (``grader`` replaces the one ``opts`` names, for tests)."""
    if opts.batch_size < 1:
        raise ConfigError("--batch-size must be at least 1")
    if opts.score_range is not None:
        opts.score_range = score_range(opts.score_range, "--score-range")
    profile = settings.model_profile()
    if profile is not None:
        profile = profile.for_customization(RFT)
    timeout = timeout_of(opts)
    enabled = resolve_selection(settings)
    severity = {code: settings.severity.get(code, rule.severity) for code, rule in _rules()}
    run = RunState(settings, profile, enabled, severity, "cl100k_base")
    file = FileState(path=path, format="rft")
    run.files.append(file)
    entries = read_items(path, opts.responses, profile=profile, severity=severity, enabled=enabled)
    # The first line is read before the grader starts, so an input refused as a whole (responses
    # out of line with the dataset, an unreadable file) never gets as far as a grader call.
    first = next(entries, None)
    session = _Session(run, file, opts, timeout, grader or open_grader(opts, timeout))
    try:
        batch: list[Item] = []
        for entry in itertools.chain([] if first is None else [first], entries):
            file.lines = entry.line
            if isinstance(entry, Skipped):
                data = {"check_code": entry.code} if entry.code else None
                run.emit("R009", f"{entry.reason}: not graded", file, entry.line, entry.path, data)
                continue
            file.records += 1
            batch.append(entry)
            if len(batch) >= opts.batch_size:
                session.batch(batch)
                batch = []
        if batch:
            session.batch(batch)
    finally:
        session.grader.close()
    session.finish()
    run.findings.sort(key=lambda f: f.sort_key())
    return CheckResult(run.findings.settled(), run.files, profile, settings, run.stats)


def _rules() -> list[tuple[str, Any]]:
    from fineprep.stages.check.rules import RULES

    return list(RULES.items())


class _Session:
    """One grading run's state: scores by line, latencies, and the findings' emitter."""

    def __init__(
        self, run: RunState, file: FileState, opts: GradeOptions, timeout: float, grader: Grader
    ) -> None:
        self.run, self.file, self.opts, self.timeout, self.grader = run, file, opts, timeout, grader
        self.scores: dict[int, float] = {}
        self.reference: dict[int, bool] = {}
        self.latencies: list[float] = []
        self.failed = 0
        self.refused_in_a_row = 0
        self.unsent: list[int] = []  # lines not sent once grading stopped
        self.stopped_by = ""

    def emit(self, code: str, message: str, line: int | None, data: dict[str, Any]) -> None:
        self.run.emit(code, message, self.file, line, None, data)

    def batch(self, items: list[Item]) -> None:
        if self.stopped_by:
            self.unsent += [i.line for i in items]
            self.failed += len(items)
            return
        call = self._call(items)
        if call.failure is not None and call.failure.transient:
            self._refused(items, call.failure)
            return
        self.refused_in_a_row = 0
        if call.timed_out:
            lines = [i.line for i in items]
            span = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
            self.emit(
                "R002",
                f"batch of {len(items)} record{'s' if len(items) > 1 else ''} ({span}) did not "
                f"finish within the {self.timeout:g} s timeout",
                lines[0],
                {"lines": lines, "timeout": self.timeout, "seconds": round(call.seconds, 3)},
            )
            self.failed += len(items)
            return
        if call.failure is not None:
            if len(items) > 1:
                for item in items:  # pin the failure to the records it happens on
                    self.batch([item])
                return
            self.emit(
                "R001",
                f"grader raised {call.failure.kind}: {call.failure.message}"
                if call.failure.kind != "crash"
                else call.failure.message,
                items[0].line,
                {"error": call.failure.kind, "message": call.failure.message},
            )
            self.failed += 1
            return
        self._read(items, call)

    def _refused(self, items: list[Item], failure: Failure) -> None:
        """Lambda refused the batch's call after its retries (a throttle, a service error):
        each record is R001, not graded, and after :data:`STOP_AFTER` such batches in a row
        the rest is not sent (each refused batch costs the whole backoff)."""
        for item in items:
            data = {"error": failure.kind, "message": failure.message, "transient": True}
            self.emit("R001", failure.message, item.line, data)
        self.failed += len(items)
        self.refused_in_a_row += 1
        if self.refused_in_a_row >= STOP_AFTER:
            self.stopped_by = failure.kind

    def _call(self, items: list[Item]) -> Call:
        call = self.grader.call([i.event for i in items], self.timeout)
        if call.failure is not None and call.failure.transient:
            return call  # no latency of the function's: it never ran
        self.latencies.append(call.seconds)
        if not call.timed_out and call.seconds > SLOW * self.timeout:
            self.emit(
                "R006",
                f"batch of {len(items)} took {call.seconds:.2f} s, over {SLOW:.0%} of the "
                f"{self.timeout:g} s timeout",
                items[0].line,
                {"seconds": round(call.seconds, 3), "timeout": self.timeout},
            )
        return call

    def _read(self, items: list[Item], call: Call) -> None:
        by_id = {i.event["id"]: i for i in items}
        reading = read_answer(call.result, list(by_id))
        for rid, problem in reading.problems:
            line = by_id[rid].line if rid is not None else items[0].line
            self.emit("R003", problem, line, {"id": rid})
        self.failed += len(items) - len(reading.scores)
        for rid, score in reading.scores.items():
            item = by_id[rid]
            self.scores[item.line] = score
            self.reference[item.line] = item.reference
            span = self.opts.score_range
            if span is not None and not span[0] <= score <= span[1]:
                self.emit(
                    "R004",
                    f"score {score:g} is outside the declared range {span[0]:g}-{span[1]:g}",
                    item.line,
                    {"score": score, "range": list(span)},
                )

    def finish(self) -> None:
        if self.unsent:
            lines = self.unsent
            where = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
            self.emit(
                "R001",
                f"{count(len(lines), 'record')} ({where}) not sent to the grader: grading "
                f"stopped after {STOP_AFTER} batches in a row were refused by Lambda "
                f"({self.stopped_by}); grade again once the function can take the calls",
                lines[0],
                {"error": self.stopped_by, "lines": lines, "transient": True},
            )
        scores = self.scores
        span = self.opts.score_range
        top = span[1] if span else (max(scores.values()) if scores else None)
        if top is not None:
            for line, score in sorted(scores.items()):
                if self.reference[line] and score < top:
                    self.emit(
                        "R005",
                        f"the reference answer scores {score:g}; the top score is {top:g}",
                        line,
                        {"score": score, "top": top},
                    )
        values = list(scores.values())
        # With reference answers as responses every score should be the top one: constant scores
        # say something only about candidate responses.
        if self.opts.responses and len(values) >= 2 and len(set(values)) == 1:
            self.emit(
                "R008",
                f"all {len(values):,} graded records scored {values[0]:g}: no signal to learn from",
                None,
                {"score": values[0], "records": len(values)},
            )
        summary = score_summary(values, self.latencies, self.timeout)
        summary["failed"] = self.failed
        summary["grader"] = self.grader.name
        summary["score_range"] = list(span) if span else None
        summary["responses"] = "candidate responses" if self.opts.responses else "reference answers"
        self.run.stats["grade"] = {self.file.path: summary}
        if values:
            self.emit(
                "R007",
                f"{count(len(values), 'record')} graded ({summary['responses']} as responses): "
                f"mean "
                f"{summary['mean']:g}, min {summary['min']:g}, max {summary['max']:g}; "
                f"{self.failed:,} not scored; slowest batch {summary['latency_max']:.2f} s "
                f"of {self.timeout:g} s",
                None,
                summary,
            )


def score_summary(values: list[float], latencies: list[float], timeout: float) -> dict[str, Any]:
    """Mean, extremes, percentiles and a 10-bin histogram of the scores; batch latencies."""
    out: dict[str, Any] = {"graded": len(values), "timeout": timeout}
    out["latency_max"] = round(max(latencies), 3) if latencies else 0.0
    out["latency_p50"] = round(sorted(latencies)[len(latencies) // 2], 3) if latencies else 0.0
    out["batches"] = len(latencies)
    if not values:
        out["histogram"] = []
        return out
    ordered = sorted(values)
    lo, hi = ordered[0], ordered[-1]
    out.update(
        mean=round(math.fsum(values) / len(values), 6),
        min=lo,
        max=hi,
        p50=ordered[len(ordered) // 2],
        p10=ordered[len(ordered) // 10],
        p90=ordered[min(len(ordered) - 1, len(ordered) * 9 // 10)],
    )
    bins = 10
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width)) if hi > lo else 0] += 1
    out["histogram"] = [
        [round(lo + k * width, 6), round(lo + (k + 1) * width, 6), c]
        for k, c in enumerate(counts)
        if hi > lo or k == 0
    ]
    return out
