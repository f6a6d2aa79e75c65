"""Property-based fuzzing of the parsers ``test_fuzz.py`` does not reach: the bounded line
reader, XLSX and Parquet sources, the config loader, user regular expressions and the
reporters' escaping. Only contracted errors (FineprepError, a template's RowError) may
escape; reports stay inert. Bounded: FINEPREP_FUZZ_EXAMPLES (default 60) examples each, no
per-example deadline (a loaded CI machine is not a failure).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fineprep.core.config import Settings, read_config_file
from fineprep.core.errors import ConfigError, FineprepError
from fineprep.core.model import Finding, Location, Severity
from fineprep.core.user_regex import PatternTimeout, compile_user_pattern
from fineprep.io.jsonl import SKIP_FACTOR, LineTooLong, bounded_lines
from tests.conftest import FIXTURES

EXAMPLES = int(os.environ.get("FINEPREP_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@FUZZ
@given(
    data=st.lists(
        st.sampled_from([b"a", b"\n", b"\r\n", b"xyz" * 7, b"\x00", b""]), max_size=60
    ).map(b"".join),
    limit=st.integers(1, 30),
)
def test_bounded_lines_keeps_short_lines_and_sizes_long_ones(data: bytes, limit: int) -> None:
    """Line for line what iterating the file gives: a line whose content (without its LF or
    CR LF) is within the limit as it is, a longer one as its size."""
    out = list(bounded_lines(io.BytesIO(data), limit))
    expected = io.BytesIO(data).readlines()
    for got, line in zip(out, expected, strict=False):
        ending = 2 if line.endswith(b"\r\n") else 1 if line.endswith(b"\n") else 0
        content = line[: len(line) - ending]
        if len(content) <= limit:
            assert got == line
        else:
            assert isinstance(got, LineTooLong)
            if not got.ended:  # no newline within SKIP_FACTOR times the limit: reading stops
                assert got.size > SKIP_FACTOR * limit and got is out[-1]
                return
            assert got.size == len(content) and got.length == len(line)
    assert len(out) == len(expected)


TOML_PIECES = st.sampled_from(
    [
        "[tool.fineprep]\n", "model = ", '"nova-lite"', "nan", "inf", "-inf", "[", "]", "{",
        "}", "=", ",", "\n", "select = ", '["E"]', "1e400", "9" * 30, "true", '"\\u0000"',
        "[tool.fineprep.checks.L002]\n", "min-chars = ", "[[tool.fineprep]]\n", "a.b.c = 1\n",
        "hyperparameters = ", "max-line-bytes = ", "completion-schema = ", "'''", "#", "\x00",
        "tool = 1\n", "\ufeff", "\r\n",
    ]
)  # fmt: skip


@FUZZ
@given(text=st.lists(TOML_PIECES, max_size=30).map("".join))
def test_config_loader_raises_only_config_errors(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fineprep.toml"
        path.write_text(text, encoding="utf-8")
        try:
            read_config_file(path)
        except ConfigError:
            pass


@FUZZ
@given(
    pattern=st.text(st.sampled_from(list("a()[]{}*+?|^$\\.-,0123456789=!<>:P#idw")), max_size=24),
    text=st.text(st.sampled_from("aab!x1 "), max_size=60),
)
def test_user_patterns_compile_or_refuse_and_match_in_bounded_time(pattern: str, text: str) -> None:
    try:
        compiled = compile_user_pattern(pattern, "fuzz")
    except ConfigError:
        return
    try:
        compiled.search(text)
        list(compiled.finditer(text))
    except PatternTimeout:
        assert compiled.engine == "regex"


DATA_TEXT = st.lists(
    st.sampled_from(["a", " ", "\x1b", "\r", "\n", "\u202e", "\u2066", "::", "%", "\x85", "é"]),
    max_size=20,
).map("".join)


@FUZZ
@given(
    message=DATA_TEXT, path=DATA_TEXT, json_path=DATA_TEXT, source=DATA_TEXT,
    fmt=st.sampled_from(["text", "github", "sarif"]),
)  # fmt: skip
def test_reporters_keep_data_inert(
    message: str, path: str, json_path: str, source: str, fmt: str
) -> None:
    from fineprep.report import render
    from fineprep.stages.check.state import CheckResult

    finding = Finding(
        "L002",
        "too-short",
        Severity.WARNING,
        message,
        Location(path or None, 1, json_path or None, source or None),  # type: ignore[arg-type]
        {"value": message},
    )
    result = CheckResult([finding], [], None, Settings(), {})
    out = render(result, fmt)
    assert not RAW.search(out), repr(out)
    lines = out.splitlines()
    if fmt == "text":
        assert len(lines) == 2 and not any(line.lstrip().startswith("::") for line in lines)
    if fmt == "github":
        assert len(lines) == 1 and re.match(r"::warning [^:]*::", lines[0])


def _convert(source: Path) -> None:
    from fineprep.stages.convert.runner import convert

    out = source.parent / "out" / "out.jsonl"
    try:
        convert(
            source, output=out, to="prompt-completion", settings=Settings(),
            prompt="{{ text }}", completion="label",
        )  # fmt: skip
    except FineprepError:
        assert not out.exists()


@FUZZ
@given(
    cut=st.integers(0, 10_000),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
)
@example(cut=1269, flips=[(5364, 128)])  # a column name that is not UTF-8
def test_parquet_source_on_damaged_files(cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray((FIXTURES / "convert/tabular/classlabel.parquet").read_bytes())
    for at, value in flips:
        data[at % len(data)] = value
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.parquet"
        source.write_bytes(bytes(data[: max(cut, 1)] if cut < len(data) else data))
        _convert(source)


def _xlsx_members() -> dict[str, bytes]:
    with zipfile.ZipFile(FIXTURES / "convert/tabular/tickets.xlsx") as z:
        return {name: z.read(name) for name in z.namelist()}


MEMBERS = _xlsx_members()


@FUZZ
@given(
    member=st.sampled_from(sorted(MEMBERS)),
    how=st.sampled_from(["truncate", "garbage", "drop", "deep", "huge-attr"]),
    at=st.integers(0, 10**5),
)
def test_xlsx_source_on_damaged_workbooks(member: str, how: str, at: int) -> None:
    pytest.importorskip("openpyxl")
    members: dict[str, Any] = dict(MEMBERS)
    body = members[member]
    if how == "truncate":
        members[member] = body[: at % (len(body) + 1)]
    elif how == "garbage":
        members[member] = body[: at % (len(body) + 1)] + b"<\x00&#0;\xff" + body
    elif how == "drop":
        del members[member]
    elif how == "deep":
        members[member] = b"<a>" * 5000 + b"</a>" * 5000
    else:
        members[member] = b'<x y="' + b"z" * 200_000 + b'"/>'
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.xlsx"
        with zipfile.ZipFile(source, "w") as z:
            for name, content in members.items():
                z.writestr(name, content)
        _convert(source)
