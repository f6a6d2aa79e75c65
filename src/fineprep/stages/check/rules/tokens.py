"""T: token counts against the model's limits, and token statistics.

A token in any byte-level tokenizer (tiktoken, Claude's, Nova's, Llama's) covers at least one
byte, so a record's token count never exceeds the UTF-8 length of its text (after NFC for
tokenizers that normalize) -- and that is at most the length of its raw JSON line. Verdicts are
therefore decided from bytes first; only records whose bound reaches 90% of a limit are
tokenized, and the tokenizer is loaded only then. Counts are exact where the model's tokenizer
is public and on this machine, and labelled estimates elsewhere: an estimate fails a record only
when a bound proves it (see :mod:`fineprep.tokens.verdict`). Statistics (T005) come from a
deterministic bottom-k sample unless ``--exact-tokens``.
"""

from __future__ import annotations

import heapq
import math
import zlib
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.stages.check.rules import token_codes  # noqa: F401  (declares T001-T006)
from fineprep.stages.check.rules.base import Check, register
from fineprep.tokens.bedrock import converse_request
from fineprep.tokens.bounds import tokens_at_least, upper_bytes
from fineprep.tokens.verdict import NEAR, judge

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext, RunState


class _FileTokens:
    """Per-file statistics state: tickets of every record's count, or a bottom-k sample by
    content hash whose payload is a ticket (already queued for counting) or the texts."""

    def __init__(self) -> None:
        self.records = 0
        self.text_bytes = 0
        self.exact: array[int] = array("q")  # signed: a partition's counts get negative tickets
        self.allowances: array[int] = array("Q")
        self.heap: list[tuple[int, int, int | list[str], int]] = []


#: A limit verdict waiting for its count: ticket, file, line, sidecar source, allowance range,
#: and the Bedrock CountTokens request (or None).
_Pending = tuple[int, "FileState", int, "str | None", tuple[int, int], "dict[str, Any] | None"]

#: Records longer than this are not tokenized when their length alone proves them over the
#: record limit (a 50 MB record would take 30 s and gigabytes to count exactly).
HUGE_RECORD_BYTES = 1_000_000


@register
class TokenCheck(Check):
    """Token limits decided from the byte bound first; tokenization only where it matters."""

    codes: ClassVar[tuple[str, ...]] = ("T001", "T002", "T003", "T004", "T005", "T006")

    def start(self, run: RunState) -> None:
        from fineprep.tokens.source import profile_source, word_bound_holds

        p = run.profile
        self.run = run
        self.source = run.token_source or profile_source(p, run.encoding)
        self.word_bound = word_bound_holds(self.source) or bool(
            p and not self.source.exact and self.source.floor > 0
        )
        self.nfc = _normalizes(self.source.tokenizer)
        self.record_limit = p.record_token_limit(run.settings.batch_size()) if p else None
        self.input_limit = p.max_input_tokens if p else None
        self.output_limit = p.max_output_tokens if p else None
        limits = [x for x in (self.record_limit, self.input_limit, self.output_limit) if x]
        self.trigger = math.floor(min(limits) * NEAR) if limits else None
        self.per_message = p.template_tokens_per_message if p else 0
        self.per_record = p.template_tokens_per_record if p else 0
        self.image_max = p.image_tokens if p else 0
        self.image_min = (p.image_tokens_min or p.image_tokens) if p else 0
        self.images_uncharged = bool(p and p.image_formats and not p.image_tokens)
        self.remote = bool(self.source.remote and p and p.count_tokens_api)
        self.exact = run.settings.exact_tokens
        self.stats = run.is_enabled("T005")
        self.sample_size = run.settings.token_sample_size
        self.files: list[tuple[FileState, _FileTokens]] = []
        self.pending: list[_Pending] = []

    def start_file(self, file: FileState) -> None:
        self.current = _FileTokens()
        self.files.append((file, self.current))

    def _allowance(self, rec: RecordContext) -> tuple[int, int]:
        """Template and image tokens, at least and at most (image charges depend on sizes)."""
        view = rec.view
        extra = self.per_message * view.n_messages + (self.per_record if view.segments else 0)
        if not self.image_max or not view.media:
            return extra, extra
        images = sum(1 for m in view.media if m.kind == "image")
        return extra + self.image_min * images, extra + self.image_max * images

    def check(self, rec: RecordContext) -> None:
        allowance = (
            self._allowance(rec) if self.per_message or self.per_record or self.image_max
            else (0, 0)
        )  # fmt: skip
        ticket: int | None = None
        raw = len(rec.raw) * (3 if self.nfc and not rec.raw.isascii() else 1)
        if self.trigger is not None and raw + allowance[1] >= self.trigger:
            ticket = self._verdict(rec, allowance)
        if not self.stats:
            return
        state = self.current
        state.records += 1
        if self.exact:
            state.exact.append(self._defer(rec) if ticket is None else ticket)
            state.allowances.append(allowance[1])
            return
        # The sample is the records with the smallest (content hash, line): a total order,
        # so the sample of a file is the same whether it was read in one pass or in partitions.
        priority = zlib.crc32(rec.raw)
        if len(state.heap) >= self.sample_size and (-priority, -rec.line) <= state.heap[0][:2]:
            return
        # Keep the ticket when the verdict already queued the record, else the texts.
        payload: int | list[str] = (
            ticket if ticket is not None else [s.text for s in rec.view.segments]
        )
        item = (-priority, -rec.line, payload, allowance[1])
        if len(state.heap) < self.sample_size:
            heapq.heappush(state.heap, item)
        else:
            heapq.heapreplace(state.heap, item)

    def export_partition(self) -> Any:
        pending = [(ticket, line, source, allowance, request)
                   for ticket, _, line, source, allowance, request in self.pending]  # fmt: skip
        return self.current, pending

    def absorb_partition(self, state: Any, tickets: Sequence[int]) -> None:
        """Tickets of the partition's counter become this run's (the coordinator queued the
        partition's texts in the same order); samples merge by their total order."""
        part, pending = state
        file, cur = self.files[-1]
        for ticket, line, source, allowance, request in pending:
            self.pending.append((tickets[ticket], file, line, source, allowance, request))
        cur.records += part.records
        cur.text_bytes += part.text_bytes
        cur.exact.extend(tickets[t] for t in part.exact)
        cur.allowances.extend(part.allowances)
        if not part.heap:
            return
        items = [
            (prio, neg_line, tickets[p] if isinstance(p, int) else p, allowance)
            for prio, neg_line, p, allowance in part.heap
        ]
        merged = heapq.nlargest(self.sample_size, [*cur.heap, *items], key=lambda t: t[:2])
        heapq.heapify(merged)
        cur.heap = merged

    def _defer(self, rec: RecordContext) -> int:
        segs = rec.view.segments
        return self.run.tokens.defer(
            [s.text for s in segs if not s.output], [s.text for s in segs if s.output], len(rec.raw)
        )

    def _limits(self) -> tuple[tuple[str, int | None], ...]:
        return (
            ("T001", self.record_limit),
            ("T002", self.input_limit),
            ("T003", self.output_limit),
        )

    def _verdict(self, rec: RecordContext, allowance: tuple[int, int]) -> int | None:
        """Decide each limit from bounds: under when the byte bound is below 90% of it, over
        when the pre-tokenizer lower bound exceeds it. Count (in a worker) only if one cannot."""
        segs = rec.view.segments
        in_bytes = sum(upper_bytes(s.text, self.nfc) for s in segs if not s.output)
        out_bytes = sum(upper_bytes(s.text, self.nfc) for s in segs if s.output)
        a_lo, a_hi = allowance
        upper = (in_bytes + out_bytes + a_hi, in_bytes + a_hi, out_bytes)
        limits = [limit or 0 for _, limit in self._limits()]
        undecided = [bool(limits[k] and upper[k] >= limits[k] * NEAR) for k in range(3)]
        if not any(undecided):
            return None
        lo_in = lo_out = 0
        if self.word_bound:
            # Proven for the model's own pre-tokenizer; for a proxy, scaled by the smallest
            # factor its calibration allows (the proxy counts at least this many).
            enc, floor = self.source.tokenizer, self.source.floor
            lo_in = math.floor(
                sum(tokens_at_least(s.text, enc) for s in segs if not s.output) * floor
            )
            lo_out = math.floor(sum(tokens_at_least(s.text, enc) for s in segs if s.output) * floor)
        lower = [lo_in + lo_out + a_lo, lo_in + a_lo, lo_out]
        total = in_bytes + out_bytes
        huge = bool(limits[0] and total > HUGE_RECORD_BYTES)
        if huge and lower[0] <= limits[0]:
            # bytes / longest token bounds the counted tokenizer's count; for a proxy, scaled
            # by the smallest factor its calibration allows, as for the word bound above.
            floor = 1.0 if self.source.exact else self.source.floor
            least = math.floor(total // self.run.tokens.longest_token() * floor)
            lower[0] = max(lower[0], least + a_lo)
        over = [bool(limits[k] and lower[k] > limits[k]) for k in range(3)]
        # A huge record over the record limit is not counted at all (50 MB would take 30 s).
        if all(over[k] or not undecided[k] for k in range(3)) or (huge and over[0]):
            for k, code in enumerate(("T001", "T002", "T003")):
                if over[k]:
                    self._emit_bound(rec, code, lower[k], total, limits[k])
            return None
        ticket = self._defer(rec)
        source = rec.meta.source if rec.meta else None
        request = converse_request(rec.view) if self.remote else None
        self.pending.append((ticket, rec.file, rec.line, source, allowance, request))
        return ticket

    def _emit_bound(self, rec: RecordContext, code: str, low: int, total: int, limit: int) -> None:
        label = self.source.describe() if not self.source.exact else "lower bound, not counted"
        what = {"T001": "record", "T002": "input", "T003": "output"}[code]
        rec.emit(
            code,
            f"{what} has at least {low:,} tokens ({total:,} bytes); the limit is {limit:,} "
            f"({label})",
            None,
            {"tokens_at_least": low, "bytes": total, "limit": limit,
             "encoding": self.source.tokenizer, "exact": False,
             "token_source": "exact" if self.source.exact else "estimate"},
        )  # fmt: skip

    def _emit_verdict(self, pending: _Pending, counts: tuple[int, ...], remote: int | None) -> None:
        _, file, line, source, (a_lo, a_hi), _ = pending
        src = self.run.tokens.effective
        i_est, i_lo, i_hi, o_est, o_lo, o_hi = counts
        ranges = {
            "T001": (i_est + o_est + a_hi, i_lo + o_lo + a_lo, i_hi + o_hi + a_hi),
            "T002": (i_est + a_hi, i_lo + a_lo, i_hi + a_hi),
            "T003": (o_est, o_lo, o_hi),
        }
        label = src.describe()
        if a_lo != a_hi:
            label += f"; images counted {self.image_min:,}-{self.image_max:,} tokens each"
        base: dict[str, Any] = {"encoding": src.tokenizer, **_source_data(src)}
        if remote is not None:
            ranges["T001"] = (remote, remote, remote)
        if a_hi:
            base["template_tokens"] = a_hi
        if self.images_uncharged:
            base["image_tokens"] = "not counted: the model documents no image charge"
        for code, limit in self._limits():
            if not limit:
                continue
            here = dict(base)
            text = label
            if code == "T001" and remote is not None:
                here.update(token_source="exact", counted="bedrock")
                text = f"exact (Bedrock CountTokens for {self.source.remote})"
            found = judge(code, ranges[code], limit, text, here)
            if found is not None:
                self.run.emit(found[0], found[1], file, line, None, found[2], source)

    def finish(self, run: RunState) -> None:
        if self.stats and not self.exact:
            # The sampled records not yet queued go to the workers too.
            for _, state in self.files:
                state.heap = [
                    (prio, line, self._queue(p) if isinstance(p, list) else p, allowance)
                    for prio, line, p, allowance in state.heap
                ]
        if not self.pending and not self.stats:
            return  # every limit was decided by the bounds: no counter was ever made
        count = self.run.tokens.resolve()
        remote = self._remote_counts(run)
        for pending in self.pending:
            self._emit_verdict(pending, count(pending[0]), remote.get(pending[0]))
        if not self.stats:
            return
        from fineprep.stages.check.rules.token_stats import (
            epochs_of,
            histogram,
            stats_message,
            summarize,
        )

        epochs = epochs_of(run)
        totals: dict[str, Any] = {}
        src = self.run.tokens.effective
        for file, state in self.files:
            if state.records == 0:
                continue
            if self.exact:
                counts = [
                    _estimate(count(t)) + a
                    for t, a in zip(state.exact, state.allowances, strict=True)
                ]
            else:
                counts = [
                    _estimate(count(p)) + allowance
                    for _, _, p, allowance in state.heap
                    if isinstance(p, int)
                ]
            summary = summarize(counts, state.records, exact=self.exact, epochs=epochs)
            summary["encoding"] = src.tokenizer
            summary.update(_source_data(src))
            summary["histogram"] = histogram(counts)
            totals[file.path] = summary
            file.tokens = summary["total"]
            run.emit("T005", stats_message(summary), file, None, None, summary)
        run.stats["tokens"] = totals

    def _remote_counts(self, run: RunState) -> dict[int, int]:
        """Bedrock CountTokens for the records no bound decided (``--tokenizer bedrock``)."""
        requests = {p[0]: p[5] for p in self.pending if p[5] is not None}
        if not self.remote or not requests or self.source.remote is None:
            return {}
        from fineprep.tokens.bedrock import count_remote

        region = run.profile.region if run.profile else None
        counts, note = count_remote(self.source.remote, requests, region)
        run.stats["remote_token_counts"] = {"model": self.source.remote, "records": len(counts)}
        if note:
            run.stats["remote_token_counts"]["note"] = note
        return counts

    def _queue(self, texts: list[str]) -> int:
        return self.run.tokens.defer(texts, [], sum(len(t) for t in texts))


def _estimate(counts: tuple[int, ...]) -> int:
    """A record's estimated total (input estimate + output estimate)."""
    return counts[0] + counts[3]


def _source_data(src: Any) -> dict[str, Any]:
    data = {"token_source": "exact" if src.exact else "estimate"}
    if src.missing:
        data["missing_tokenizer"] = src.missing
    return data


def _normalizes(tokenizer: str) -> bool:
    from fineprep.tokens.catalogue import get_spec

    spec = get_spec(tokenizer)
    return bool(spec and spec.normalize)
