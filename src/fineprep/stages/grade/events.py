"""The grader's input, built as Bedrock builds it: one item per sampled response.

Bedrock appends the model's response to the prompt's ``messages`` as an assistant turn, gives
the item an ``id`` and passes ``reference_answer`` and the record's other fields in
``metadata``. Here the response is the record's reference answer (what a perfect model would
say) unless candidate responses are given line for line in a ``--responses`` file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from fineprep.core.errors import InputError
from fineprep.formats.rft import REFERENCE, analyze_rft, reference_text
from fineprep.io.jsonl import open_input, strip_line


@dataclass
class Item:
    """One gradable record: where it is, and the event item sent to the grader."""

    line: int
    event: dict[str, Any]
    reference: bool  # the response is the record's own reference answer


@dataclass
class Skipped:
    """A line that cannot be graded, and why (R009)."""

    line: int
    reason: str


def _no_report(code: str, path: Any, message: str, data: dict[str, Any]) -> None:
    """Structural findings are `fineprep check`'s job; grade only needs the verdict."""


def event_item(obj: dict[str, Any], line: int, response: str | None) -> dict[str, Any]:
    """The grader's view of one record with ``response`` (default: the reference answer)."""
    metadata = {k: v for k, v in obj.items() if k != "messages"}
    text = reference_text(obj[REFERENCE]) if response is None else response
    messages = [*obj["messages"], {"role": "assistant", "content": text}]
    # Opaque like Bedrock's ids: a grader that parses them as numbers fails here, not in the job.
    return {"id": f"rec-{line}", "messages": messages, "metadata": metadata}


def read_items(path: str, responses: str | None = None) -> Iterator[Item | Skipped]:
    """Every line of an RFT dataset as an :class:`Item`, or :class:`Skipped` with the reason."""
    answers = _responses(responses) if responses else None
    stream = open_input(path)
    try:
        for line_no, physical in enumerate(stream, 1):
            raw = strip_line(physical)
            if not raw or raw.isspace():
                yield Skipped(line_no, "blank line")
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield Skipped(line_no, f"invalid JSON ({str(exc).split(': line ')[0]})")
                continue
            if not isinstance(obj, dict):
                yield Skipped(line_no, "not a JSON object")
                continue
            if REFERENCE not in obj or not isinstance(obj.get("messages"), list):
                missing = "messages" if not isinstance(obj.get("messages"), list) else REFERENCE
                yield Skipped(line_no, f"missing {missing}: not an RFT prompt")
                continue
            if not analyze_rft(obj, None, _no_report).structural_ok:
                yield Skipped(line_no, "not a valid RFT record (see `fineprep check`)")
                continue
            response: str | None = None
            if answers is not None:
                found = answers.get(line_no)
                if isinstance(found, Skipped):
                    yield found
                    continue
                if found is None:
                    yield Skipped(line_no, f"{responses} has no response for this line")
                    continue
                response = found
            yield Item(line_no, event_item(obj, line_no, response), response is None)
    finally:
        if path != "-":
            stream.close()


def _responses(path: str) -> dict[int, str | Skipped]:
    """Candidate responses, line for line with the dataset: a JSON string or
    ``{"response": "..."}`` per line."""
    out: dict[int, str | Skipped] = {}
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 (a plain path from the command line)
            for line_no, physical in enumerate(fh, 1):
                raw = strip_line(physical)
                try:
                    value = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    value = None
                if isinstance(value, dict):
                    value = value.get("response")
                out[line_no] = (
                    value
                    if isinstance(value, str)
                    else Skipped(
                        line_no, f'{path}:{line_no} is not a JSON string or {{"response": "..."}}'
                    )
                )
    except OSError as exc:
        raise InputError(f"{path}: cannot read responses ({exc.strerror or exc})") from None
    return out
