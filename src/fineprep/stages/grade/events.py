"""The grader's input, built as Bedrock builds it: one item per sampled response.

Bedrock appends the model's response to the prompt's ``messages`` as an assistant turn, gives
the item an ``id`` and passes ``reference_answer`` and the record's other fields in
``metadata``. Here the response is the record's reference answer (what a perfect model would
say) unless candidate responses are given line for line in a ``--responses`` file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from fineprep.core.errors import InputError
from fineprep.core.model import Severity
from fineprep.core.profiles import ModelProfile
from fineprep.core.wording import count
from fineprep.formats.base import Path
from fineprep.formats.rft import REFERENCE, analyze_rft, reference_text
from fineprep.io.jsonl import STDIN, open_input, strip_line


@dataclass
class Item:
    """One gradable record: where it is, and the event item sent to the grader."""

    line: int
    event: dict[str, Any]
    reference: bool  # the response is the record's own reference answer


@dataclass
class Skipped:
    """A line that cannot be graded, and why (R009): with the check code and JSON path when
    the RFT walker `fineprep check` uses rejects the record."""

    line: int
    reason: str
    code: str | None = None
    path: Path | None = None


@dataclass
class _Errors:
    """The walker's findings on one record that count as errors, in the order it found them.

    Errors by the run's selection and severities, as `fineprep check` counts them: a code
    ignored or lowered to a warning in config lets the record through here as it does there.
    """

    severity: Mapping[str, Severity]
    enabled: frozenset[str] | None = None
    found: list[tuple[str, Path, str]] = field(default_factory=list)

    def __call__(self, code: str, path: Path, message: str, data: dict[str, Any]) -> None:
        if self.enabled is not None and code not in self.enabled:
            return
        if self.severity.get(code, Severity.ERROR) == Severity.ERROR:
            self.found.append((code, path, message))


def _default_severity() -> dict[str, Severity]:
    """Each code's own severity (importing the rules registers the S codes)."""
    from fineprep.stages.check.rules import RULES

    return {code: rule.severity for code, rule in RULES.items()}


def _rejected(
    line: int, obj: dict[str, Any], profile: ModelProfile | None, errors: _Errors
) -> Skipped | None:
    """R009 for a record `fineprep check --format rft` reports an error for, else None.

    Bedrock rejects such a record before training, so an event built from it would test the
    grader on input it never gets. A record the walk cannot read (``structural_ok`` false) is
    never sent, whatever the severities say: no event can be built from it.
    """
    errors.found.clear()
    view = analyze_rft(obj, profile, errors)
    if not errors.found:
        if view.structural_ok:
            return None
        return Skipped(line, "not a valid RFT record (see `fineprep check --format rft`)")
    code, path, message = errors.found[0]
    more = len(errors.found) - 1
    also = f" (and {more} more; see `fineprep check --format rft`)" if more else ""
    return Skipped(line, f"{code}: {message}{also}", code, path)


def event_item(obj: dict[str, Any], line: int, response: str | None) -> dict[str, Any]:
    """The grader's view of one record with ``response`` (default: the reference answer)."""
    metadata = {k: v for k, v in obj.items() if k != "messages"}
    text = reference_text(obj[REFERENCE]) if response is None else response
    messages = [*obj["messages"], {"role": "assistant", "content": text}]
    # Opaque like Bedrock's ids: a grader that parses them as numbers fails here, not in the job.
    return {"id": f"rec-{line}", "messages": messages, "metadata": metadata}


def read_items(
    path: str,
    responses: str | None = None,
    *,
    profile: ModelProfile | None = None,
    severity: Mapping[str, Severity] | None = None,
    enabled: frozenset[str] | None = None,
) -> Iterator[Item | Skipped]:
    """Every line of an RFT dataset as an :class:`Item`, or :class:`Skipped` with the reason.

    A record is judged by the RFT walker with ``profile`` and the run's ``severity`` and
    ``enabled`` codes (each code's default severity, all codes, when not given): the verdict
    `fineprep check` reaches on it.
    """
    answers = _responses(responses) if responses else None
    errors = _Errors(severity if severity is not None else _default_severity(), enabled)
    stream = open_input(path)
    try:
        if responses and answers is not None:
            stream = _aligned(stream, path, responses, len(answers))
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
            rejected = _rejected(line_no, obj, profile, errors)
            if rejected is not None:
                yield rejected
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
        if path != STDIN:
            stream.close()


def _aligned(stream: BinaryIO, path: str, responses: str, answered: int) -> BinaryIO:
    """``stream`` (read again from memory if it is stdin), once the dataset is known to have as
    many lines as ``responses``; else an InputError naming both files and their counts.

    The responses are matched by line number alone (their format carries no id), so a file
    with a line too many or too few would grade every later record against another record's
    response: refused before anything is graded, since no finding made then could be trusted.
    """
    if path == STDIN:  # counted and then read, so held in memory
        stream = io.BytesIO(stream.read())
        lines = sum(1 for _ in stream)
        stream.seek(0)
    else:
        with open(path, "rb") as fh:  # noqa: PTH123 (a plain path from the command line)
            lines = sum(1 for _ in fh)
    if lines != answered:
        name = "stdin" if path == STDIN else path
        raise InputError(
            f"{responses} has {count(answered, 'line')} but {name} has {count(lines, 'line')}: "
            "the responses are not line for line with the dataset, so nothing was graded",
            hint=f"give {responses} exactly one response per line of {name}, in the same order",
        )
    return stream


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
