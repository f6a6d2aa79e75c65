"""The ``bedrock`` strategy (opt-in): prompts paraphrased by a Bedrock model through the
Converse API (boto3 ``bedrock-runtime`` ``converse``), on a budget, with retries, and checked.

Budget: ``max-calls`` requests and ``max-tokens`` tokens (input and output, as Bedrock reports
them) for the whole run. Before each call the request's worst case is bounded (a text never
has more tokens than UTF-8 bytes, plus an allowance per message for the chat template), and
``maxTokens`` is set so that call cannot take the run over its budget; when the budget cannot
cover another call, the strategy stops and says so. Every attempt, retried or not, counts as a
call.

Retries: throttling, a busy or not-yet-ready model, 5xx answers and dropped connections are
retried up to ``retries`` times with exponential backoff; after that the strategy stops (the
run reports the shortfall). Errors that no retry can fix (access denied, an unknown model, no
credentials) stop the run with one line saying what to fix.

A paraphrase is kept only if it is not empty, not the original (ignoring case and spacing),
within ``min-length-ratio``..``max-length-ratio`` of the original's length (plus 32
characters, so that a short question can become a polite one), not cut off
(``stopReason`` ``max_tokens``) or filtered, and holds no secret, personal data or placeholder
the original did not (H001-H003's patterns).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from fineprep.io.aws import AwsOptions, aws_error, error_code, make_client
from fineprep.stages.augment.guard import new_marks
from fineprep.stages.augment.options import BedrockOptions
from fineprep.stages.augment.records import with_texts
from fineprep.stages.augment.strategy import Candidate

if TYPE_CHECKING:
    from fineprep.stages.augment.records import Original

INSTRUCTION = (
    "You reword text for a training dataset. Rewrite the text you are given so that it asks "
    "for exactly the same thing in different words. Keep every fact, number, name, code, URL "
    "and formatting element, keep its language and its person, and add nothing. Reply with "
    "the reworded text only: no quotes, no introduction, no comment."
)
#: Tokens a chat template may add per message (system, user) beyond the text's own.
TEMPLATE_ALLOWANCE = 32
#: Characters a paraphrase may have beyond ``max-length-ratio`` times the original's.
LENGTH_SLACK = 32
TRANSIENT = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "ModelErrorException",
        "TooManyRequestsException",
    }
)


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def longest(original: str, opts: BedrockOptions) -> float:
    """The longest paraphrase kept, in characters: ``max-length-ratio`` times the original,
    plus a few words of slack, or a short question could not become a polite one."""
    return opts.max_length_ratio * len(original) + LENGTH_SLACK


def problem(original: str, new: str, stop: str | None, opts: BedrockOptions) -> str | None:
    """Why a paraphrase is not kept, or None."""
    if stop == "max_tokens":
        return "cut off (max tokens)"
    if stop in ("guardrail_intervened", "content_filtered"):
        return "filtered by the model"
    if not new.strip():
        return "empty"
    if " ".join(new.split()).casefold() == " ".join(original.split()).casefold():
        return "identical to the original"
    if len(new) < opts.min_length_ratio * len(original):
        return "too short"
    if len(new) > longest(original, opts):
        return "too long"
    if new_marks(original, new):
        return "new secret, personal data or placeholder"
    return None


def cleaned(original: str, text: str) -> str:
    """The reply without surrounding whitespace, or the quotes a model wraps it in."""
    text = text.strip()
    for quote in ('"', "“", "'"):
        close = "”" if quote == "“" else quote
        wrapped = len(text) > 1 and text.startswith(quote) and text.endswith(close)
        if wrapped and not original.strip().startswith(quote):
            return text[1:-1].strip()
    return text


class BedrockStrategy:
    """Paraphrases from the Converse API (see the module docstring)."""

    name = "bedrock"

    def __init__(
        self,
        opts: BedrockOptions,
        rounds: int,
        client: Any = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        assert opts.model is not None
        self.opts = opts
        self.model = opts.model
        self.rounds = rounds
        self.sleep = sleep or time.sleep  # looked up now: tests replace time.sleep
        self.calls = 0
        self.tokens = 0
        self.retried = 0
        self.kept = 0
        self.rejected: dict[str, int] = {}
        self.stopped: str | None = None
        if client is None:
            aws = AwsOptions(
                profile=opts.profile, region=opts.region, endpoint_url=opts.endpoint_url
            )
            import dataclasses

            client = make_client("bedrock-runtime", dataclasses.replace(aws, max_attempts=1))
        self.client = client

    def candidates(self, original: Original) -> Iterator[Candidate]:
        for _ in range(self.rounds):
            changes: dict[tuple[str | int, ...], str] = {}
            for segment in original.segments:
                if self.stopped:
                    return
                text = self._paraphrase(segment.text)
                if text is None:
                    break
                changes[segment.path] = text
            else:
                self.kept += 1
                detail = f"paraphrased by {self.model}"
                yield Candidate(with_texts(original.obj, changes), self.name, detail, changes)

    def _paraphrase(self, text: str) -> str | None:
        reply = self._call(text)
        if reply is None:
            return None
        new, stop = reply
        new = cleaned(text, new)
        why = problem(text, new, stop, self.opts)
        if why is not None:
            self.rejected[why] = self.rejected.get(why, 0) + 1
            return None
        return new

    def _limits(self, text: str) -> int | None:
        """``maxTokens`` for this text within the budget, or None when it cannot be afforded."""
        worst_input = _bytes(INSTRUCTION) + _bytes(text) + 2 * TEMPLATE_ALLOWANCE
        # A kept reply has at most longest() characters, 4 UTF-8 bytes each at most.
        wanted = max(64, math.ceil(self.opts.max_length_ratio * _bytes(text) + 4 * LENGTH_SLACK))
        room = self.opts.max_tokens - self.tokens - worst_input
        if self.calls >= self.opts.max_calls or room < min(wanted, 16):
            self.stopped = (
                f"bedrock: budget reached ({self.calls:,} of {self.opts.max_calls:,} calls, "
                f"{self.tokens:,} of {self.opts.max_tokens:,} tokens)"
            )
            return None
        return min(wanted, room)

    def _call(self, text: str) -> tuple[str, str | None] | None:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        for attempt in range(self.opts.retries + 1):
            max_tokens = self._limits(text)
            if max_tokens is None:
                return None
            self.calls += 1
            try:
                resp = self.client.converse(
                    modelId=self.model,
                    system=[{"text": INSTRUCTION}],
                    messages=[{"role": "user", "content": [{"text": text}]}],
                    inferenceConfig={"maxTokens": max_tokens, "temperature": self.opts.temperature},
                )
            except (
                ClientError,
                EndpointConnectionError,
                ConnectionClosedError,
                ReadTimeoutError,
            ) as exc:
                code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
                if isinstance(exc, ClientError) and code not in TRANSIENT:
                    raise aws_error(exc, f"Bedrock Converse with {self.model}") from None
                if attempt < self.opts.retries:
                    self.retried += 1
                    self.sleep(min(20.0, 0.5 * 2**attempt))
                    continue
                self.stopped = (
                    f"bedrock: {code} after {self.opts.retries + 1} attempts; no more paraphrases"
                )
                return None
            except BotoCoreError as exc:  # no credentials, no region, bad endpoint
                raise aws_error(exc, f"Bedrock Converse with {self.model}") from None
            usage = resp.get("usage") or {}
            self.tokens += int(
                usage.get("totalTokens")
                or int(usage.get("inputTokens", 0)) + int(usage.get("outputTokens", 0))
            )
            content = ((resp.get("output") or {}).get("message") or {}).get("content") or []
            reply = "".join(b["text"] for b in content if isinstance(b, dict) and "text" in b)
            return reply, resp.get("stopReason")
        return None

    def notes(self) -> list[str]:
        out = [
            f"bedrock: {self.calls:,} calls ({self.retried:,} retried), {self.tokens:,} tokens, "
            f"{self.kept:,} paraphrases kept"
        ]
        if self.rejected:
            listed = ", ".join(f"{why} {n:,}" for why, n in sorted(self.rejected.items()))
            out.append(f"bedrock: paraphrases refused: {listed}")
        if self.stopped:
            out.append(self.stopped)
        return out

    def stats(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "calls": self.calls,
            "retried": self.retried,
            "tokens": self.tokens,
            "kept": self.kept,
            "rejected": dict(sorted(self.rejected.items())),
            "stopped": self.stopped,
        }
