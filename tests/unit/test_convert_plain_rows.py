"""The common row's byte templates (stages.convert.plain_rows) give exactly what the general
path (convert_row) gives: the same record and sidecar bytes, the same rejects and counts."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.core import jsonexact
from fineprep.core.model import RecordMeta
from fineprep.core.profiles import get_profile
from fineprep.stages.convert.mapping import build_mapping
from fineprep.stages.convert.options import ConvertOptions
from fineprep.stages.convert.output import meta_line
from fineprep.stages.convert.plain_rows import plain_rows
from fineprep.stages.convert.result import ConvertResult
from fineprep.stages.convert.rowwork import Job, convert_item
from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.sources.detect import Plan

#: (target, model, mapping options) the byte templates build, and ones they must decline.
BUILT = [
    ("conversation", "nova-lite", {}),
    ("conversation", "nova-lite", {"prompt": "q", "completion": "a", "label": "cls"}),
    ("conversation", None, {"id": "rid", "group": "grp"}),
    ("prompt-completion", "llama3-1-8b", {}),
    ("prompt-completion", None, {"prompt": "q", "completion": "a", "id": "rid"}),
    ("claude-messages", "claude-3-haiku", {}),
]
DECLINED = [
    ("conversation", "nova-lite", {"system": "sys"}),
    ("conversation", "nova-lite", {"prompt": "Q: {{ q }}"}),
    ("conversation", "nova-lite", {"completion_json": "a"}),
    ("conversation", "nova-lite", {"images": "img"}),
    ("claude-messages", "claude-3-haiku", {"system": "sys"}),
]


class MemorySink:
    """Both paths' output, as the files would hold it."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.metas: list[bytes] = []
        self.rejects: list[tuple[str, str, str | None]] = []
        self.rejected = 0
        self.last_reason = ""

    def write(self, record: dict[str, Any], meta: RecordMeta, line: bytes | None = None) -> None:
        self.lines.append(line if line is not None else jsonexact.dumps(record))
        self.metas.append(meta_line(meta))

    def write_lines(self, line: bytes, meta: bytes) -> None:
        self.lines.append(line)
        self.metas.append(meta)

    def reject(self, source: str, reason: str, raw: str | None) -> None:
        self.rejects.append((source, reason, raw))
        self.rejected += 1
        self.last_reason = reason


def _jobs(target: str, model: str | None, options: dict[str, Any]) -> tuple[Job, Job]:
    opts = ConvertOptions(**options)
    mapping = build_mapping(opts, target, get_profile(model) if model else None)
    fast = Job(opts, Plan(), mapping, None, plain_rows(mapping))
    return fast, dataclasses.replace(fast, plain=None)


def _run(job: Job, rows: list[SourceRow]) -> tuple[Any, ...]:
    sink, result = MemorySink(), ConvertResult(target=job.mapping.target)
    for row in rows:
        convert_item(row, job, {}, sink, result)
    summary = (result.rows, result.rejected, result.first_rejects, dict(result.control_chars))
    return sink.lines, sink.metas, sink.rejects, summary, result.control_rows


SYMBOLS = ["a", "a", "b", "é", " ", "\n", "\t", "\\", '"', "\x00", "\x1b", "\x7f", "\x85",
           "\x9f", "\xa0", "\u2028", "𝕏", "/"]  # fmt: skip
TEXT = st.text(st.sampled_from(SYMBOLS), max_size=8)
VALUE = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(),
    st.lists(TEXT, max_size=2), st.dictionaries(st.sampled_from(["k", "v"]), TEXT, max_size=2),
)  # fmt: skip
MISSING = object()
#: Every field a mapping above reads, most often a string, sometimes another value or absent.
FIELDS = st.fixed_dictionaries(
    {
        name: st.one_of(TEXT, TEXT, TEXT, VALUE, st.just(MISSING))
        for name in ("prompt", "completion", "q", "a", "cls", "rid", "grp")
    }
).map(lambda fields: {k: v for k, v in fields.items() if v is not MISSING})
ROWS = st.lists(
    st.builds(
        SourceRow,
        FIELDS,
        st.sampled_from(["t.csv:row 1", 'odd "name".csv:row 2', "ü.parquet:row 3"]),
        st.sampled_from([(), (), ("s3://b/page.png",)]),
        st.sampled_from([{}, {}, {"page": 2}, {"label": "x"}]),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(rows=ROWS, which=st.sampled_from(BUILT))
def test_byte_templates_give_the_general_paths_bytes(rows: list[SourceRow], which: Any) -> None:
    fast, general = _jobs(*which)
    assert fast.plain is not None
    assert _run(fast, rows) == _run(general, rows)


#: Corner values of a text column: clean, escaped, blank, empty, control characters, not text.
CORNERS: list[Any] = [
    "Où est ma commande ?", 'Il "arrive"\n\tC:\\files\\b', "\xa0°£", " ", "\u2028", "",
    "a\x00", "\x1bb", "x\x7f", "\x85y", "\x9f", None, 7, 1.5, ["x"], {"k": "v"}, True,
]  # fmt: skip


def test_every_pair_of_corner_values_gives_the_general_paths_bytes() -> None:
    rows = []
    for text in CORNERS:
        for answer in CORNERS:
            fields = {"prompt": text, "completion": answer, "q": text, "a": answer}
            rows.append(SourceRow({**fields, "cls": answer, "rid": text, "grp": answer}, "r:1"))
            rows.append(SourceRow(fields, "r:2"))  # no label, id or group fields
            rows.append(SourceRow(fields, "r:3", ("s3://bucket/page.png",)))
            rows.append(SourceRow(fields, "r:4", (), {"page": 2}))
    for which in BUILT:
        fast, general = _jobs(*which)
        got, want = _run(fast, rows), _run(general, rows)
        assert got == want, which
        assert len(want[0]) > len(rows) // 20, which  # many rows are written, not rejected


def test_plain_rows_take_the_templates() -> None:
    """The rows the templates are for do not fall back (so the property above compares them)."""
    for which in BUILT:
        fast, _ = _jobs(*which)
        fields = {"prompt": "Où est\u00a0ma commande ?", "completion": 'Il "arrive" 🙂'}
        fields.update(q=fields["prompt"], a=fields["completion"], cls="c", rid="7", grp="g")
        assert fast.plain is not None
        assert fast.plain(SourceRow(fields, "t.csv:row 1")) is not None, which


def test_other_mappings_take_the_general_path() -> None:
    for which in DECLINED:
        fast, _ = _jobs(*which)
        assert fast.plain is None, which
