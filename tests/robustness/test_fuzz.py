"""Property-based fuzzing: whatever the input, only the contracted exceptions escape.

The contracted failures are :class:`fineprep.core.errors.FineprepError` subclasses (and, for a
template's row, :class:`fineprep.stages.convert.templates.RowError`, which the converter turns
into a reject). Anything else escaping (KeyError, TypeError, RecursionError...) is a bug that
the CLI would show as "internal error".
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError, FineprepError, InputError
from fineprep.core.profiles import all_profiles, get_profile
from fineprep.formats import FORMATS, View
from fineprep.io.jsonl import iter_lines
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.rules import RULES
from fineprep.stages.convert.sources.base import SourceReject, SourceRow
from fineprep.stages.convert.templates import RowError, compile_template, field_getter
from tests.conftest import needs_tokenizer

#: FINEPREP_FUZZ_EXAMPLES=2000 for a long local hunt; CI keeps the default.
EXAMPLES = int(os.environ.get("FINEPREP_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = [
    "prompt", "completion", "messages", "role", "content", "text", "image", "video", "source",
    "s3Location", "uri", "bucketOwner", "format", "schemaVersion", "system", "input", "image-ref",
    "caption", "reasoningContent", "reasoningText", "toolUse", "type", "", "x",
]  # fmt: skip
WORDS = [
    "user", "assistant", "system", "bedrock-conversation-2024", "png", "jpeg", "mp4",
    "s3://bucket/a.png", "s3://b/x y.png", "s3://", "111122223333", "Hi", "\nHuman:", "User:",
    "[EOS]", "{{name}}", "AKIAIOSFODNN7EXAMPLE", "\x00", "\ud800", "é", "Ã©", " ", "\r\n",
]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(WORDS)
    | st.text(max_size=30)
)
JSONISH = st.recursive(
    SCALARS,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), kids, max_size=5)
    ),
    max_leaves=25,
)
RECORDS = st.dictionaries(st.sampled_from(KEYS), JSONISH, max_size=5)
PROFILES = [None, *sorted(all_profiles())]


# ---------------------------------------------------------------------- JSONL reader, engine

FRAGMENTS = [
    b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"{", b"}", b"[", b"]", b'"', b":", b",", b" ",
    b"\xff", b"\xc3", b"\x00", b'"\\ud800"', b"NaN", b"1e999",
    b'{"prompt": "a", "completion": "b"}',
    b'{"messages": [{"role": "user", "content": [{"text": "x"}]}]}', b'{"input": "t"}',
]  # fmt: skip
JSONL_BYTES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=6), max_size=40).map(b"".join),
    st.lists(RECORDS.map(lambda r: json.dumps(r).encode()), max_size=6).map(b"\n".join),
)


@FUZZ
@given(data=st.binary(max_size=400))
def test_iter_lines_keeps_every_byte(data: bytes) -> None:
    lines = list(iter_lines(io.BufferedReader(io.BytesIO(data))))
    assert [n for n, _ in lines] == list(range(1, len(lines) + 1))
    assert len(lines) == data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    rebuilt = b"\n".join(line for _, line in lines)
    assert rebuilt.replace(b"\r", b"") == data.rstrip(b"\n").replace(b"\r", b"")[: len(rebuilt)]


def _check_bytes(data: bytes, settings_: Settings, name: str = "train.jsonl") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            result = check_files([str(path)], settings_)
        except FineprepError as exc:
            assert str(path) in str(exc) or name in str(exc)
            return
    n_lines = data.count(b"\n") + 1
    for finding in result.findings:
        assert finding.code in RULES, finding.code
        assert finding.location.line is None or 1 <= finding.location.line <= n_lines


@FUZZ
@given(data=JSONL_BYTES, model=st.sampled_from([None, "nova-lite", "titan-text-express"]))
def test_check_files_on_random_bytes(data: bytes, model: str | None) -> None:
    _check_bytes(data, Settings(model=model))


@needs_tokenizer
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(RECORDS, min_size=1, max_size=6),
    model=st.sampled_from(PROFILES),
    fmt=st.sampled_from([None, *FORMATS]),
)
def test_check_files_on_random_records_with_stats(
    records: list[dict[str, Any]], model: str | None, fmt: str | None
) -> None:
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    _check_bytes(data, Settings(model=model, format=fmt, stats=True, exact_tokens=True))


# --------------------------------------------------------------------------- format validators


@pytest.mark.parametrize("fmt", list(FORMATS))
@FUZZ
@given(obj=RECORDS, model=st.sampled_from(PROFILES))
def test_format_validators_take_any_json(fmt: str, obj: dict[str, Any], model: str | None) -> None:
    profile = get_profile(model) if model else None
    reported: list[tuple[str, tuple[Any, ...]]] = []

    def report(code: str, path: tuple[Any, ...], message: str, data: dict[str, Any]) -> None:
        assert isinstance(message, str) and isinstance(data, dict)
        reported.append((code, path))

    view = FORMATS.get(fmt).analyze(obj, profile, report)
    assert isinstance(view, View)
    for code, path in reported:
        assert code in RULES, code
        assert isinstance(path, tuple) and all(isinstance(p, str | int) for p in path)
    for segment in view.segments:
        assert isinstance(segment.text, str)
    assert 0 <= view.split <= len(view.segments)


# ---------------------------------------------------------------------------------- templates

TEMPLATE_PARTS = [
    "{{", "}}", "{%", "%}", "{#", "#}", " ", "x", "title", "body", "row", "meta.a", "a.b",
    "|", "upper", "json", "default('')", "[0]", "['k']", "(", ")", ".", "'s'", "1", "+", "~",
    "if", "else", "endif", "for", "in", "endfor", "not", "none", "range(3)", "loop.index",
    "__class__", "_x", "mro", "\n", "\\", '"', "set", "=", "raw", "endraw",
]  # fmt: skip
TEMPLATES = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(TEMPLATE_PARTS), max_size=14).map("".join),
)
FIELDS = st.dictionaries(
    st.sampled_from(["title", "body", "row", "meta", "a", "x", "", "a.b"]) | st.text(max_size=5),
    JSONISH | st.binary(max_size=5) | st.just(float("nan")),
    max_size=5,
)


@FUZZ
@given(source=TEMPLATES, fields=FIELDS)
def test_templates_raise_only_contracted_errors(source: str, fields: dict[str, Any]) -> None:
    try:
        template = compile_template("prompt", source)
    except ConfigError as exc:
        assert "prompt" in str(exc)
        return
    for render in (template.render, template.text):
        try:
            render(fields)
        except RowError as exc:
            assert str(exc)


@FUZZ
@given(path=st.text(max_size=20), fields=FIELDS)
def test_field_getters_raise_only_contracted_errors(path: str, fields: dict[str, Any]) -> None:
    try:
        getter = field_getter("label", path)
    except ConfigError:
        return
    try:
        getter.render(fields)
    except RowError:
        pass


# ------------------------------------------------------------------------ document converters

BLOCK_TYPES = ["PAGE", "LINE", "WORD", "KEY_VALUE_SET", "TABLE", "CELL", "MERGED_CELL",
               "SELECTION_ELEMENT", "QUERY", "QUERY_RESULT", "LAYOUT_TEXT", "LAYOUT_TITLE",
               "LAYOUT_LIST", "SIGNATURE", "TABLE_TITLE", None, 3]  # fmt: skip
IDS = st.sampled_from(["b0", "b1", "b2", "b3", "missing", None, 7])
BLOCK = st.fixed_dictionaries(
    {"Id": IDS, "BlockType": st.sampled_from(BLOCK_TYPES)},
    optional={
        "Text": st.text(max_size=8) | st.none(),
        "Page": st.integers(-2, 4) | st.none() | st.just("1"),
        "Confidence": st.floats(allow_nan=False) | st.text(max_size=3),
        "EntityTypes": st.lists(st.sampled_from(["KEY", "VALUE", "COLUMN_HEADER", 5]), max_size=2),
        "SelectionStatus": st.sampled_from(["SELECTED", "NOT_SELECTED", None]),
        "RowIndex": st.integers(-1, 3) | st.none(),
        "ColumnIndex": st.integers(-1, 3) | st.none(),
        "RowSpan": st.integers(-1, 3),
        "ColumnSpan": st.integers(-1, 3),
        "Query": st.fixed_dictionaries({"Text": st.text(max_size=5)}, optional={"Alias": IDS}),
        "Geometry": st.fixed_dictionaries(
            {
                "BoundingBox": st.dictionaries(
                    st.sampled_from(["Top", "Left", "Width", "Height"]),
                    st.floats(allow_nan=False) | st.none(),
                )
            }
        )
        | st.none(),
        "Relationships": st.lists(
            st.fixed_dictionaries(
                {
                    "Type": st.sampled_from(
                        ["CHILD", "VALUE", "ANSWER", "MERGED_CELL", "TITLE", None]
                    ),
                    "Ids": st.lists(IDS, max_size=4) | st.none(),
                }
            )
            | JSONISH,
            max_size=3,
        )
        | st.none(),
    },
)
TEXTRACT_DOCS = st.fixed_dictionaries(
    {"Blocks": st.lists(BLOCK, max_size=10) | JSONISH},
    optional={
        "DocumentMetadata": st.fixed_dictionaries({"Pages": st.integers(-1, 5) | JSONISH})
        | JSONISH,
        "JobStatus": st.sampled_from(["SUCCEEDED", "PARTIAL_SUCCESS", "FAILED", None, 1]),
        "JobId": st.sampled_from(["job-1", "../../evil", "", None]),
        "NextToken": st.none() | st.text(max_size=3),
        "ExpenseDocuments": JSONISH,
        "IdentityDocuments": JSONISH,
        "DetectDocumentTextModelVersion": st.just("1.0"),
    },
)


def _read_source(kind: str, doc: Any, name: str, options: dict[str, Any]) -> None:
    from fineprep.stages.convert.sources.base import SOURCES
    from fineprep.stages.convert.sources.detect import load_readers

    load_readers()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(json.dumps(doc).encode())
        try:
            items = list(SOURCES.get(kind)([str(path)], dict(options)))
        except (InputError, ConfigError) as exc:
            assert name in str(exc) or "option" in str(exc)
            return
        for item in items:
            assert isinstance(item, SourceRow | SourceReject)
            if isinstance(item, SourceRow):
                orjson.dumps(item.fields, default=str, option=orjson.OPT_NON_STR_KEYS)


@FUZZ
@given(doc=TEXTRACT_DOCS, unit=st.sampled_from(["document", "page"]))
def test_textract_reader_on_random_responses(doc: dict[str, Any], unit: str) -> None:
    _read_source("textract", doc, "doc.json", {"unit": unit, "allow_partial": "true"})


IDP_RESULTS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "document_id": st.sampled_from(
                ["claim-001", "../claim-001", "/etc/passwd", "", None, 3]
            ),
            "class": JSONISH,
            "fields": JSONISH,
            "text": JSONISH,
            "pages": st.lists(
                st.fixed_dictionaries(
                    {}, optional={"number": JSONISH, "image": JSONISH, "text": JSONISH}
                )
                | JSONISH,
                max_size=3,
            )
            | JSONISH,
        },
    )
    | JSONISH,
    max_size=4,
)


@FUZZ
@given(results=IDP_RESULTS)
def test_idp_reader_on_random_results(results: list[Any]) -> None:
    from tests.conftest import FIXTURES

    textract_dir = str(FIXTURES / "convert" / "idp" / "textract")
    _read_source("idp", results, "results.json", {"textract_dir": textract_dir})


# ------------------------------------------------------------------------------- tabular input

CSV_BYTES = st.lists(
    st.sampled_from([b"title,body,label\n", b"a,b,c\n", b'"x\n', b'""', b",", b";", b"\t", b"\r",
                     b"\n", b"\xff", b"\xef\xbb\xbf", b"\x00", "é".encode(), "é".encode("cp1252")])
    | st.binary(max_size=4),
    max_size=30,
).map(b"".join)  # fmt: skip


@FUZZ
@given(data=CSV_BYTES, ext=st.sampled_from([".csv", ".tsv", ".jsonl", ".json"]))
def test_convert_api_on_random_tables(data: bytes, ext: str) -> None:
    from fineprep.stages.convert.runner import convert

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"in{ext}"
        source.write_bytes(data)
        out = Path(tmp) / "out" / "out.jsonl"
        try:
            result = convert(
                source, output=out, to="prompt-completion", settings=Settings(),
                prompt="{{ title }} {{ body }}", completion="label",
            )  # fmt: skip
        except FineprepError:
            assert not out.exists()
            return
        assert result.exit_code in (0, 1, 2)
        assert out.exists() == (result.records > 0)
        assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


# -------------------------------------------------------------------------------------- split


@FUZZ
@given(
    records=st.lists(RECORDS, max_size=12),
    metas=st.lists(
        st.dictionaries(st.sampled_from(["label", "group", "id"]), JSONISH), max_size=14
    ),
    seed=st.integers(0, 3),
    stratify=st.sampled_from([None, "label"]),
    group=st.sampled_from([None, "group"]),
)
def test_split_on_random_records(
    records: list[dict[str, Any]],
    metas: list[dict[str, Any]],
    seed: int,
    stratify: str | None,
    group: str | None,
) -> None:
    from fineprep import api

    if not hasattr(api, "split"):
        pytest.skip("this build has no split")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "data.jsonl"
        source.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records))
        if metas:
            lines = b"".join(json.dumps(m).encode() + b"\n" for m in metas)
            (Path(tmp) / "data.meta.jsonl").write_bytes(lines)
        out = Path(tmp) / "out"
        try:
            api.split(
                source,
                out,
                validation=0.2,
                test=0.1,
                seed=seed,
                stratify=stratify,
                group=group,
                settings=Settings(),
            )
        except FineprepError:
            pass
        if out.exists():
            assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
