"""The T codes: token limits, near-limit and uncertain estimates, statistics (declared once)."""

from __future__ import annotations

from fineprep.core.rules import rule

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
    " Counts are exact (the model's own tokenizer: Llama 3.x, Qwen3, gpt-oss) or estimates "
    "(a proxy tokenizer scaled per script, for Nova, Titan, Claude and Cohere, whose tokenizers "
    "are not public); every finding says which. An estimate is an error only when even the "
    "lower edge of its calibrated band is over the limit; otherwise it is T006."
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
    why="Bedrock counts with the model's own tokenizer; a record this close leaves no headroom, "
    "and an estimate this close (or whose band reaches the limit) may be over it.",
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
    example="train.jsonl: T005 [info] 1,204,880 tokens in 10,000 records; p50 96, p95 310, "
    "max 1,812; x2 epochs = 2,409,760 training tokens",
    fix="Nothing to fix: this is information.",
    default_enabled=False,
)
rule(
    "T006",
    "token-limit-uncertain",
    "warning",
    "an estimate says over a limit, but nothing proves it",
    what="A record whose estimated tokens exceed a limit (T001-T003) when the estimate cannot "
    "prove it: the model's tokenizer is not public (or not on this machine) and the lower edge "
    "of the proxy's calibrated band is under the limit, or the record's image charge depends on "
    "image sizes fineprep cannot see (Llama 3.2 vision: 1,601-6,404 tokens per image).",
    why="Bedrock counts with the model's own tokenizer and fails the job on a record over the "
    "limit, but an estimate can be off by its band: failing the record on a guess would reject "
    "data Bedrock may accept.",
    example="a Chinese Nova Lite record estimated at 35,000 tokens (25,000-45,000) against 32,000",
    fix="Shorten the record to leave headroom, count it exactly with `--tokenizer bedrock` "
    "where the model supports CountTokens, or pass the model's tokenizer with "
    "`--tokenizer-file`.",
)
