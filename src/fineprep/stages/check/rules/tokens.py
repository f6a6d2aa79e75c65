"""T: token counts against the model's limits, and token statistics.

A token in any byte-level tokenizer (tiktoken, Claude's, Nova's, Llama's) covers at least one
byte, so a record's token count never exceeds the UTF-8 length of its text -- and that is at
most the length of its raw JSON line. Verdicts are therefore decided from bytes first; only
records whose bound reaches 90% of a limit are tokenized, and the encoding is loaded only then.
Statistics (T005) come from a deterministic bottom-k sample unless ``--exact-tokens``.
"""

from __future__ import annotations

import heapq
import math
import zlib
from array import array
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.core.rules import rule
from fineprep.stages.check.rules.base import Check, register
from fineprep.tokens.bounds import tokens_at_least, utf8_len

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext, RunState

NEAR = 0.9
_WHAT = {"T001": "record", "T002": "input", "T003": "output"}

_LIMIT_WHY = (
    "Bedrock counts tokens with the model's own tokenizer and fails the job on the "
    "first record over the limit ('Max sum of input and output token length 4097 "
    "exceeds total limit of 4096')."
)
_BOUNDS_NOTE = (
    " Records whose lower bound (every space followed by a letter starts a token) already "
    "exceeds the limit are reported as 'at least N tokens' without being tokenized."
)
_TOKENS_NOTE = (
    " Counts use tiktoken (encode_ordinary) with the model's configured encoding: "
    "exact for OpenAI encodings, an estimate for Bedrock's models."
)

rule(
    "T001",
    "record-tokens",
    "error",
    "input+output tokens over the model's per-record limit",
    what="A record whose total tokens (prompt and answer, plus the model's per-message template "
    "allowance and image tokens) exceed the model's per-record limit."
    + _TOKENS_NOTE
    + _BOUNDS_NOTE,
    why=_LIMIT_WHY,
    example="a 40,000-token conversation for Nova Lite (limit 32,000)",
    fix="Shorten the record, split a long conversation into several records, or raise the "
    "limit in config ([limits] max_record_tokens) if your account's quota differs.",
)
rule(
    "T002",
    "input-tokens",
    "error",
    "input tokens over the model's input limit",
    what="A record whose input (system and user text, prompt) exceeds the model's input-token "
    "limit (e.g. 16,000 for Llama 3.1, 4,096 for Cohere Command)." + _TOKENS_NOTE + _BOUNDS_NOTE,
    why="Bedrock fails the job: 'Maximum input token count 4097 exceeds limit of 4096'.",
    example="a 5,000-token prompt for Cohere Command",
    fix="Shorten the prompt (trim context, fewer examples).",
)
rule(
    "T003",
    "output-tokens",
    "error",
    "output tokens over the model's output limit",
    what="A record whose answer (completion, assistant text) exceeds the model's output-token "
    "limit." + _TOKENS_NOTE + _BOUNDS_NOTE,
    why="Bedrock fails the job: 'Maximum output token count 4097 exceeds limit of 4096'.",
    example="a 3,000-token completion for Cohere Command (limit 2,048)",
    fix="Shorten the answer or split the task.",
)
rule(
    "T004",
    "near-token-limit",
    "warning",
    "within 10% of a limit",
    what="A record at 90-100% of a token limit." + _TOKENS_NOTE,
    why="Counts for non-OpenAI models are estimates; a record this close may be over the limit "
    "in the model's own tokenizer.",
    example="a 30,000-token record for Nova Lite (limit 32,000)",
    fix="Leave headroom: shorten the record, or accept the risk by ignoring T004.",
)
rule(
    "T005",
    "token-stats",
    "info",
    "dataset token totals, percentiles, estimated training tokens x epochs",
    what="Token statistics per file: total tokens, percentiles, and the training tokens "
    "(total x epochs) that customization jobs are billed by. Computed from a deterministic "
    "sample with a 95% interval unless --exact-tokens. Off by default in `check` (it needs the "
    "tokenizer); on with --stats, --exact-tokens, --select T005 and in `fineprep run`.",
    why="Training cost and time scale with tokens x epochs; the percentiles show how much of the "
    "limit records use.",
    example="T005 train.jsonl: 1.2M tokens (95% interval 1.1M-1.3M), x2 epochs = 2.4M",
    fix="Nothing to fix: this is information.",
    default_enabled=False,
)


class _FileTokens:
    """Per-file statistics state: tickets of every record's count, or a bottom-k sample by
    content hash whose payload is a ticket (already queued for counting) or the texts."""

    def __init__(self) -> None:
        self.records = 0
        self.text_bytes = 0
        self.exact: array[int] = array("Q")
        self.allowances: array[int] = array("Q")
        self.heap: list[tuple[int, int, int | list[str], int]] = []


#: A limit verdict waiting for its count: ticket, file, line, sidecar source, allowance.
_Pending = tuple[int, "FileState", int, "str | None", int]


@register
class TokenCheck(Check):
    """Token limits decided from the byte bound first; tokenization only where it matters."""

    codes: ClassVar[tuple[str, ...]] = ("T001", "T002", "T003", "T004", "T005")

    def start(self, run: RunState) -> None:
        p = run.profile
        self.run = run
        self.record_limit = p.record_token_limit(run.settings.batch_size()) if p else None
        self.input_limit = p.max_input_tokens if p else None
        self.output_limit = p.max_output_tokens if p else None
        limits = [x for x in (self.record_limit, self.input_limit, self.output_limit) if x]
        self.trigger = math.floor(min(limits) * NEAR) if limits else None
        self.per_message = p.template_tokens_per_message if p else 0
        self.image_tokens = p.image_tokens if p else 0
        self.exact = run.settings.exact_tokens
        self.stats = run.is_enabled("T005")
        self.sample_size = run.settings.token_sample_size
        self.files: list[tuple[FileState, _FileTokens]] = []
        self.pending: list[_Pending] = []

    def start_file(self, file: FileState) -> None:
        self.current = _FileTokens()
        self.files.append((file, self.current))

    def _allowance(self, rec: RecordContext) -> int:
        view = rec.view
        extra = self.per_message * view.n_messages
        if self.image_tokens and view.media:
            extra += self.image_tokens * sum(1 for m in view.media if m.kind == "image")
        return extra

    def check(self, rec: RecordContext) -> None:
        allowance = self._allowance(rec) if self.per_message or self.image_tokens else 0
        ticket: int | None = None
        if self.trigger is not None and len(rec.raw) + allowance >= self.trigger:
            ticket = self._verdict(rec, allowance)
        if not self.stats:
            return
        state = self.current
        state.records += 1
        if self.exact:
            state.exact.append(self._defer(rec) if ticket is None else ticket)
            state.allowances.append(allowance)
            return
        priority = zlib.crc32(rec.raw)
        if len(state.heap) >= self.sample_size and -priority <= state.heap[0][0]:
            return
        # Keep the ticket when the verdict already queued the record, else the texts.
        payload: int | list[str] = (
            ticket if ticket is not None else [s.text for s in rec.view.segments]
        )
        item = (-priority, rec.line, payload, allowance)
        if len(state.heap) < self.sample_size:
            heapq.heappush(state.heap, item)
        else:
            heapq.heapreplace(state.heap, item)

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

    def _verdict(self, rec: RecordContext, allowance: int) -> int | None:
        """Decide each limit from bounds: under when the byte bound is below 90% of it, over
        when the pre-tokenizer lower bound exceeds it. Count (in a worker) only if one cannot."""
        segs = rec.view.segments
        in_bytes = sum(utf8_len(s.text) for s in segs if not s.output)
        out_bytes = sum(utf8_len(s.text) for s in segs if s.output)
        upper = (in_bytes + out_bytes + allowance, in_bytes + allowance, out_bytes)
        limits = [limit or 0 for _, limit in self._limits()]
        undecided = [bool(limits[k] and upper[k] >= limits[k] * NEAR) for k in range(3)]
        if not any(undecided):
            return None
        enc = self.run.encoding
        lo_in = sum(tokens_at_least(s.text, enc) for s in segs if not s.output)
        lo_out = sum(tokens_at_least(s.text, enc) for s in segs if s.output)
        lower = [lo_in + lo_out + allowance, lo_in + allowance, lo_out]
        total = in_bytes + out_bytes
        huge = bool(limits[0] and total > HUGE_RECORD_BYTES)
        if huge and lower[0] <= limits[0]:
            lower[0] = max(lower[0], total // self.run.tokens.longest_token() + allowance)
        over = [bool(limits[k] and lower[k] > limits[k]) for k in range(3)]
        # A huge record over the record limit is not counted at all (50 MB would take 30 s).
        if all(over[k] or not undecided[k] for k in range(3)) or (huge and over[0]):
            for k, code in enumerate(("T001", "T002", "T003")):
                if over[k]:
                    rec.emit(
                        code,
                        f"{_WHAT[code]} has at least {lower[k]:,} tokens ({total:,} bytes); the "
                        f"limit is {limits[k]:,}",
                        None,
                        {"tokens_at_least": lower[k], "bytes": total, "limit": limits[k],
                         "encoding": enc, "exact": False},
                    )  # fmt: skip
            return None
        ticket = self._defer(rec)
        source = rec.meta.source if rec.meta else None
        self.pending.append((ticket, rec.file, rec.line, source, allowance))
        return ticket

    def _emit_verdict(self, pending: _Pending, tin: int, tout: int) -> None:
        _, file, line, source, allowance = pending
        values = {"T001": tin + tout + allowance, "T002": tin + allowance, "T003": tout}
        what = _WHAT
        for code, limit in self._limits():
            if not limit:
                continue
            tokens = values[code]
            data: dict[str, Any] = {
                "tokens": tokens,
                "limit": limit,
                "encoding": self.run.encoding,
            }
            if allowance:
                data["template_tokens"] = allowance
            if tokens > limit:
                message = f"{what[code]} has {tokens:,} tokens; the limit is {limit:,}"
                self.run.emit(code, message, file, line, None, data, source)
            elif tokens >= limit * NEAR:
                data["percent"] = round(100 * tokens / limit, 1)
                message = (
                    f"{what[code]} has {tokens:,} tokens, {data['percent']}% of the "
                    f"{limit:,} limit (counts are estimates)"
                )
                self.run.emit(
                    "T004", message, file, line, None, {**data, "limit_code": code}, source
                )

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
        for pending in self.pending:
            self._emit_verdict(pending, *count(pending[0]))
        if not self.stats:
            return
        from fineprep.stages.check.rules.token_stats import histogram, summarize

        epochs = _epochs(run)
        totals: dict[str, Any] = {}
        for file, state in self.files:
            if state.records == 0:
                continue
            if self.exact:
                counts = [
                    sum(count(t)) + a for t, a in zip(state.exact, state.allowances, strict=True)
                ]
            else:
                counts = [
                    sum(count(p)) + allowance
                    for _, _, p, allowance in state.heap
                    if isinstance(p, int)
                ]
            summary = summarize(counts, state.records, exact=self.exact, epochs=epochs)
            summary["encoding"] = self.run.encoding
            summary["histogram"] = histogram(counts)
            totals[file.path] = summary
            file.tokens = summary["total"]
            run.emit("T005", _stats_message(summary), file, None, None, summary)
        run.stats["tokens"] = totals

    def _queue(self, texts: list[str]) -> int:
        return self.run.tokens.defer(texts, [], sum(len(t) for t in texts))


#: Records longer than this are not tokenized when their length alone proves them over the
#: record limit (a 50 MB record would take 30 s and gigabytes to count exactly).
HUGE_RECORD_BYTES = 1_000_000


def _epochs(run: RunState) -> int:
    if run.settings.epochs:
        return run.settings.epochs
    value = run.settings.hyperparameters.get("epochCount")
    if value is not None:
        return int(value)
    hp = run.profile.hyperparameter("epochCount") if run.profile else None
    return int(hp.default) if hp and hp.default is not None else 1


def _stats_message(s: dict[str, Any]) -> str:
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
