"""The conversion pipeline: provenance, rejects, atomic outputs, config, exit codes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings, settings_from_table
from fineprep.core.errors import ConfigError, InputError
from fineprep.io.progress import Progress
from fineprep.stages.convert.runner import convert
from fineprep.stages.convert.sources.base import SOURCES, SourceItem, SourceReject, SourceRow
from tests.conftest import FIXTURES

TABULAR = FIXTURES / "convert" / "tabular"


def _csv(tmp_path: Path, text: str, name: str = "deeds.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _fake(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    yield SourceRow({"text": "page one"}, "scan.pdf:page 1", ("s3://bkt/p1.png",), {"conf": 0.9})
    yield SourceReject("scan.pdf:page 2", "no text detected", None)
    yield SourceRow({"text": "page three"}, "scan.pdf:page 3", extra={"source": "ignored"})


if "test-fake" not in SOURCES:
    SOURCES.add("test-fake", _fake)


def test_undefined_field_rejects_the_row_naming_it(tmp_path: Path) -> None:
    rows = "title,body,label\n" + "".join(f"t{i},b{i},l{i}\n" for i in range(20))
    src = _csv(tmp_path, rows)
    monkey_out = tmp_path / "out.jsonl"
    result = convert(
        str(src),
        output=monkey_out,
        to="prompt-completion",
        prompt="{{ titel }}",
        completion="label",
        settings=Settings(),
    )
    assert (result.records, result.rejected, result.exit_code) == (0, 20, 2)
    assert result.output is None and not monkey_out.exists()
    assert not (tmp_path / "out.meta.jsonl").exists()
    rejects = _lines(tmp_path / "out.rejects.jsonl")
    assert rejects[15] == {
        "source": f"{src}:row 17",
        "reason": "template 'prompt' uses undefined field 'titel' (fields: title, body, label)",
        "raw": '{"title":"t15","body":"b15","label":"l15"}',
    }
    assert result.stopped and "all 20 rows were rejected" in result.stopped
    assert result.first_rejects[0].startswith(f"{src}:row 2: template 'prompt' uses undefined")


def test_partial_rejects_exit_1_and_default_rejects_path(tmp_path: Path) -> None:
    src = _csv(tmp_path, "prompt,completion\na,b\nc\n")
    result = convert(
        [src], output=tmp_path / "o.jsonl", to="prompt-completion", settings=Settings()
    )
    assert (result.records, result.rejected, result.exit_code) == (1, 1, 1)
    assert result.rejects == tmp_path / "o.rejects.jsonl" and result.rejects_defaulted
    summary = "\n".join(result.summary())
    assert "rejected 1 row -> " in summary and "no --rejects given" in summary
    assert "rows/s" in summary


def test_explicit_rejects_path_and_stale_default_removed(tmp_path: Path) -> None:
    src = _csv(tmp_path, "prompt,completion\na,b\n")
    stale = tmp_path / "o.rejects.jsonl"
    stale.write_text("old\n")
    result = convert(src, output=tmp_path / "o.jsonl", to="prompt-completion", settings=Settings())
    assert result.exit_code == 0 and not stale.exists()
    assert any("left by an earlier run" in n for n in result.notices)
    mine = tmp_path / "mine" / "rej.jsonl"
    mine.parent.mkdir()
    mine.write_text("an earlier run's reject\n")
    result = convert(
        src, output=tmp_path / "o.jsonl", to="prompt-completion", rejects=mine, settings=Settings()
    )
    # Named or not, nothing empty is written or announced, and an earlier run's file goes.
    assert result.rejects is None and not mine.exists()
    assert not any("rejected" in line for line in result.summary())
    bad = _csv(tmp_path, "prompt,completion\n,b\n", "bad.csv")
    result = convert(
        [bad, src],
        output=tmp_path / "o.jsonl",
        to="prompt-completion",
        rejects=mine,
        settings=Settings(),
    )
    assert result.rejects == mine and not result.rejects_defaulted
    assert _lines(mine)[0]["reason"] == "template 'prompt' rendered empty text"


def test_an_unreadable_file_is_one_reject_and_the_others_convert(tmp_path: Path) -> None:
    good = _csv(tmp_path, "prompt,completion\na,b\n", "a.csv")
    bad = tmp_path / "b.csv"
    bad.write_bytes(b"prompt,completion\nx,y\ncaf\xe9,z\n")
    result = convert(
        [good, bad],
        output=tmp_path / "out" / "o.jsonl",
        to="prompt-completion",
        encoding="utf-8",
        settings=Settings(),
    )
    assert (result.records, result.rejected, result.exit_code) == (1, 1, 1)
    assert (result.files, result.files_failed) == (2, 1)
    line = _lines(tmp_path / "out" / "o.rejects.jsonl")[0]
    assert line["source"] == str(bad) and line["raw"] is None
    assert "b.csv: byte 0xE9 at offset 25 (line 3) cannot be decoded as utf-8" in line["reason"]
    assert "files: 1 read, 1 failed" in "\n".join(result.summary())


def test_a_single_unreadable_input_raises_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "b.csv"
    bad.write_bytes(b"prompt,completion\nx,y\ncaf\xe9,z\n")
    with pytest.raises(InputError, match=r"b\.csv: byte 0xE9"):
        convert(
            [bad],
            output=tmp_path / "out" / "o.jsonl",
            to="prompt-completion",
            encoding="utf-8",
            settings=Settings(),
        )
    assert list((tmp_path / "out").iterdir()) == []


def test_sidecar_is_line_for_line_with_reader_extras_and_page_images(tmp_path: Path) -> None:
    result = convert(
        "scan.pdf",
        output=tmp_path / "o.jsonl",
        source="test-fake",
        model="nova-lite",
        prompt="text",
        completion="{{ text | upper }}",
        bucket_owner="111122223333",
        settings=Settings(),
    )
    assert (result.records, result.rejected) == (2, 1)
    records = _lines(tmp_path / "o.jsonl")
    meta = _lines(tmp_path / "o.meta.jsonl")
    assert meta == [
        {"id": None, "label": None, "group": None, "source": "scan.pdf:page 1", "conf": 0.9},
        {"id": None, "label": None, "group": None, "source": "scan.pdf:page 3"},
    ]
    image = records[0]["messages"][0]["content"][0]["image"]
    assert image["source"]["s3Location"]["uri"] == "s3://bkt/p1.png"
    assert _lines(tmp_path / "o.rejects.jsonl") == [
        {"source": "scan.pdf:page 2", "reason": "no text detected", "raw": None}
    ]


def test_pretraining_chunks_share_a_group_and_name_their_chunk(tmp_path: Path) -> None:
    text = " ".join(f"Sentence {i} of a long document." for i in range(200))
    src = tmp_path / "docs.jsonl"
    src.write_text(json.dumps({"text": text, "id": "d1"}) + "\n")
    result = convert(
        src,
        output=tmp_path / "cpt.jsonl",
        to="pretraining",
        model="titan-text-express",
        chunk_tokens=200,
        id="id",
        settings=Settings(),
    )
    meta = _lines(tmp_path / "cpt.meta.jsonl")
    n = result.records
    assert n > 3 and result.rows == 1 and result.exit_code == 0
    assert meta[1] == {
        "id": "d1#2",
        "label": None,
        "group": f"{src}:line 1",
        "source": f"{src}:line 1 (chunk 2/{n})",
    }
    assert "records" in result.summary()[0]


def test_config_section_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _csv(tmp_path, "q,a,lab\nHi,Hello,greet\n", "t.csv")
    monkeypatch.chdir(tmp_path)
    table = {
        "model": "titan-text-express",
        "convert": {
            "inputs": ["t.csv"],
            "output": "cfg.jsonl",
            "prompt": "q",
            "completion": "a",
            "label": "lab",
        },
    }
    result = convert(settings=settings_from_table(table))
    assert result.exit_code == 0 and result.model == "titan-text-express"
    assert _lines(tmp_path / "cfg.jsonl") == [{"prompt": "Hi", "completion": "Hello"}]
    result = convert(settings=settings_from_table(table), completion="{{ a }}!", output="x.jsonl")
    assert _lines(tmp_path / "x.jsonl") == [{"prompt": "Hi", "completion": "Hello!"}]
    table["convert"]["chunk-tokns"] = 3
    with pytest.raises(ConfigError, match="unknown key 'chunk-tokns'"):
        convert(settings=settings_from_table(table))
    table["convert"] = {"overlap": "lots"}
    with pytest.raises(ConfigError, match="overlap: expected a whole number"):
        convert(settings=settings_from_table(table))


def test_source_table_in_config_passes_reader_options(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def spy(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
        seen.append(options)
        yield SourceRow({"prompt": "p", "completion": "c"}, "x:row 1")

    if "test-spy" not in SOURCES:
        SOURCES.add("test-spy", spy)
    table = {"convert": {"source": {"kind": "test-spy", "unit": "page", "allow-partial": True}}}
    convert(
        "anything",
        output=tmp_path / "o.jsonl",
        to="prompt-completion",
        settings=settings_from_table(table),
        source_options={"skip_furniture": "true"},
    )
    given = {k: v for k, v in seen[-1].items() if k != "notices"}
    assert given == {"unit": "page", "allow_partial": True, "skip_furniture": "true"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"output": None}, "no output file"),
        ({"output": "o.csv"}, "must be a .jsonl file"),
        ({"sources": []}, "no sources to convert"),
        ({"model": "gpt-99"}, "unknown model 'gpt-99'"),
        ({"to": None}, "which record format"),
        ({"prompt": "{{ oops"}, "syntax error"),
    ],
)
def test_configuration_errors(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    call: dict[str, Any] = {
        "sources": [str(TABULAR / "reviews.csv")],
        "output": str(tmp_path / "o.jsonl"),
        "to": "prompt-completion",
        **kwargs,
    }
    sources = call.pop("sources")
    with pytest.raises(ConfigError, match=message):
        convert(sources, settings=Settings(), **call)


def test_output_may_not_overwrite_a_source_or_itself(tmp_path: Path) -> None:
    src = tmp_path / "data.jsonl"
    src.write_text('{"prompt": "a", "completion": "b"}\n')
    with pytest.raises(ConfigError, match="would overwrite the source"):
        convert(src, output=src, to="prompt-completion", settings=Settings())
    out = tmp_path / "o.jsonl"
    for rejects in ("o.meta.jsonl", "o.set.json"):
        with pytest.raises(ConfigError, match="would overwrite the output, its sidecar or its"):
            convert(
                src,
                output=out,
                rejects=tmp_path / rejects,
                to="prompt-completion",
                settings=Settings(),
            )
    with pytest.raises(
        ConfigError, match=r"-o .*data\.jsonl: its sidecar .*data\.meta\.jsonl is the"
    ):
        convert(tmp_path / "data.meta.jsonl", output=src, settings=Settings())


def test_an_output_url_is_refused_not_made_a_local_folder(tmp_path: Path) -> None:
    """As a path, s3://bucket/x.jsonl would be written to a local folder named 's3:'."""
    from fineprep.api import split

    src = _csv(tmp_path, "prompt,completion\na,b\n")
    with pytest.raises(ConfigError, match="outputs are written to a local path"):
        convert(src, output="s3://bucket/x.jsonl", to="prompt-completion", settings=Settings())
    with pytest.raises(ConfigError, match=r"\[split\] output = 's3://bucket/out/'"):
        split(src, "s3://bucket/out/")
    assert not (tmp_path / "s3:").exists() and not Path("s3:").exists()


def test_an_output_written_into_the_folder_it_converts_is_not_read_back(tmp_path: Path) -> None:
    """A second run into the same folder would read the first run's output, sidecar and
    manifest as inputs, then overwrite one of them: refused, the earlier files untouched."""
    folder = tmp_path / "rows"
    folder.mkdir()
    _csv(folder, "prompt,completion\na,b\nc,d\n", "rows.csv")
    out = folder / "out.jsonl"
    assert convert(folder, output=out, to="prompt-completion", settings=Settings()).exit_code == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(ConfigError, match=r"-o .*out\.jsonl is the input .*out\.jsonl"):
        convert(folder, output=out, to="prompt-completion", settings=Settings())
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_failed_run_removes_the_outputs_of_an_earlier_one(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    good = _csv(tmp_path, "prompt,completion\na,b\n", "good.csv")
    assert convert(good, output=out, to="prompt-completion", settings=Settings()).exit_code == 0
    bad = _csv(tmp_path, "prompt,completion\n,b\n", "bad.csv")
    result = convert(bad, output=out, to="prompt-completion", settings=Settings())
    assert result.exit_code == 2
    assert not out.exists() and not (tmp_path / "o.meta.jsonl").exists()
    assert sum("left by an earlier run" in n for n in result.notices) == 2


def test_empty_input_is_exit_2(tmp_path: Path) -> None:
    src = _csv(tmp_path, "prompt,completion\n")
    result = convert(src, output=tmp_path / "o.jsonl", to="prompt-completion", settings=Settings())
    assert result.exit_code == 2 and result.stopped == f"nothing converted: no rows in {src}"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([100.0, 100.2, 100.6, 100.65, 101.0, 200.0])
    monkeypatch.setattr("fineprep.io.progress.time.monotonic", lambda: next(clock))
    tty = _Tty()
    bar = Progress.for_terminal(tty)
    bar.update(5, 0)  # within the first half second: not drawn
    bar.update(10, 0)  # drawn
    bar.update(20, 0)  # 50 ms later: skipped
    bar.update(30, 1)  # drawn
    bar.close()
    shown = tty.getvalue()
    assert shown.count("\rconverting:") == 2 and "30 rows" in shown and "1 rejected" in shown
    assert shown.endswith("\r\x1b[K")
    pipe = io.StringIO()
    quiet = Progress.for_terminal(pipe)
    quiet.update(10, 0)
    quiet.close()
    assert pipe.getvalue() == ""
