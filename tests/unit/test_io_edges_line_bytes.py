"""``max-line-bytes`` counts a line's content, without its line ending, at the exact boundary.

A line of exactly the maximum is read; one byte more is a P007 finding, whether the line ends
in ``\\n``, ``\\r\\n`` or is the last line without a newline, and the finding states the
content's size. The stream reader (``readline``), already-split lines and a check in
partitions all give the same answer.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.config import load_settings
from fineprep.engines.base import EngineOptions
from fineprep.io.jsonl import SKIP_FACTOR, LineTooLong, bounded_lines, iter_lines
from fineprep.stages.check import engine as check_engine
from fineprep.stages.check.engine import check_files

LIMIT = 1000
ENDINGS = {"lf": b"\n", "crlf": b"\r\n", "none": b""}


def _record(size: int) -> bytes:
    """A prompt-completion record of exactly ``size`` bytes."""
    base = b'{"prompt": "", "completion": "x"}'
    return b'{"prompt": "' + b"a" * (size - len(base)) + b'", "completion": "x"}'


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("content", [LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 2, 3 * LIMIT])
def test_stream_reader_judges_the_content(ending: str, content: int) -> None:
    line = b"y" * content + ENDINGS[ending]
    after = [b"ok\n"] if ENDINGS[ending] else []  # a line without a newline is the last
    out = list(bounded_lines(io.BufferedReader(io.BytesIO(b"".join([line, *after]))), LIMIT))
    if content <= LIMIT:
        assert out == [line, *after]
    else:
        assert isinstance(out[0], LineTooLong) and out[0].ended
        assert out[0].size == content
        assert out[0].length == len(line)
        assert out[1:] == after


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("content", [LIMIT, LIMIT + 1])
def test_a_last_line_judged_alike(ending: str, content: int) -> None:
    line = b"z" * content + ENDINGS[ending]
    (got,) = list(bounded_lines(io.BytesIO(line), LIMIT))
    assert (got == line) if content <= LIMIT else isinstance(got, LineTooLong)


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("content", [LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 2])
def test_split_lines_judged_as_the_stream(ending: str, content: int) -> None:
    """Lines handed over already split (no ``readline``) get the stream reader's verdict."""
    line = b"w" * content + ENDINGS[ending]
    (split,) = list(bounded_lines([line], LIMIT))
    (streamed,) = list(bounded_lines(io.BytesIO(line), LIMIT))
    if content <= LIMIT:
        assert split == streamed == line
    else:
        assert isinstance(split, LineTooLong) and isinstance(streamed, LineTooLong)
        assert split.size == streamed.size == content
        assert split.length == streamed.length == len(line)


def test_a_carriage_return_split_from_its_newline_is_the_ending() -> None:
    """The ``\\r`` of a long line's ``\\r\\n`` may end one piece read past it and the ``\\n``
    begin the next: the content's size still leaves both out."""
    line = b"q" * (LIMIT + 1) + b"\r\n"  # readline(LIMIT + 2) stops right after the \r
    (got,) = list(bounded_lines(io.BufferedReader(io.BytesIO(line)), LIMIT))
    assert isinstance(got, LineTooLong) and got.size == LIMIT + 1 and got.length == len(line)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.lists(st.sampled_from([b"a", b"\n", b"\r\n", b"\r", b"xyz" * 7, b""]), max_size=60).map(
        b"".join
    ),
    limit=st.integers(1, 30),
)
def test_every_line_judged_by_its_content(data: bytes, limit: int) -> None:
    """Line for line what iterating the file gives: kept when its content is within the
    limit, else its content's size and its length in the file; split lines alike."""
    expected = io.BytesIO(data).readlines()
    streamed = list(bounded_lines(io.BytesIO(data), limit))
    split = list(bounded_lines(expected, limit))
    for got, cut, line in zip(streamed, split, expected, strict=False):
        content = line.removesuffix(b"\n").removesuffix(b"\r") if line.endswith(b"\n") else line
        if len(content) <= limit:
            assert got == cut == line
            continue
        assert isinstance(got, LineTooLong) and isinstance(cut, LineTooLong)
        if not got.ended:  # no newline within SKIP_FACTOR times the limit: reading stops
            assert got.size > SKIP_FACTOR * limit and got is streamed[-1]
            return
        assert (got.size, got.length) == (cut.size, cut.length) == (len(content), len(line))
    assert len(streamed) == len(split) == len(expected)


def test_iter_lines_names_the_content_size() -> None:
    data = b"v" * (LIMIT + 1) + b"\r\n"
    with pytest.raises(Exception, match=r":1: line of 1,001 bytes .* maximum of 1,000"):
        list(iter_lines(io.BytesIO(data), LIMIT, name="in.jsonl"))


def _p007(path: Path, engine: EngineOptions) -> list[tuple[int | None, int]]:
    settings = load_settings(isolated=True, overrides={"model": "llama3-1-8b"})
    settings.max_line_bytes = LIMIT
    settings.scope = "record"
    settings.select = ["P"]
    result = check_files([str(path)], settings, engine=engine)
    return [(f.location.line, f.data["bytes"]) for f in result.findings if f.code == "P007"]


ENGINES = [
    EngineOptions("local", 1),
    EngineOptions("processes", 2, None, min_bytes=1, partition_bytes=1),
]


@pytest.mark.parametrize("engine", ENGINES, ids=["one-process", "partitions"])
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_check_agrees_at_the_boundary(
    tmp_path: Path, ending: str, engine: EngineOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Short records first (the partitioned check reads the format from the first), then a
    record of the maximum and of one byte more, each line ending in ``ending`` (``none``: only
    the last line has no newline)."""
    end = ENDINGS[ending]
    between = end or b"\n"
    short = json.dumps({"prompt": "q", "completion": "a"}).encode()
    lines = [short, short, _record(LIMIT), _record(LIMIT + 1), short, _record(LIMIT + 1)]
    path = tmp_path / f"b-{ending}.jsonl"
    path.write_bytes(b"".join(line + between for line in lines[:-1]) + lines[-1] + end)
    planned: list[Any] = []
    real_plan = check_engine.plan

    def spy(*args: Any, **kwargs: Any) -> Any:
        planned.append(real_plan(*args, **kwargs))
        return planned[-1]

    monkeypatch.setattr(check_engine, "plan", spy)
    assert _p007(path, engine) == [(4, LIMIT + 1), (6, LIMIT + 1)]
    if engine.engine == "processes":  # the file was really checked in partitions
        assert planned and planned[0] is not None and len(planned[0].ranges) >= 2
