"""Hostile content: template escapes, path tricks, symlinks, markup in reports.

Templates are written by whoever prepares the data but run over rows written by anyone, in a
Jinja2 sandbox: a payload that reaches Python internals or the filesystem must end as a clean
error (a rejected row or a configuration error), never as output. Names taken from sources
(ids, document ids, Textract job ids) never become paths, and a folder input is read without
following links out of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.report import render
from fineprep.stages.check.engine import check_files
from fineprep.stages.convert.templates import RowError, compile_template
from tests.conftest import FIXTURES
from tests.robustness.conftest import CORPUS, require_command, run_cli, write_dataset
from tests.scripts import hostile_corpus
from tests.unit.test_html_report import Doc, assert_inert

#: The sandbox escapes of the hostile corpus (one list for both).
PAYLOADS: list[str] = hostile_corpus().ESCAPES
LEAKS = ("<class", "<module", "root:", "uid=", "__builtins__", "popen")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_template_payload_fails_cleanly(payload: str) -> None:
    """Refused when compiled, a reject when rendered, or harmless text: never the host."""
    try:
        template = compile_template("prompt", payload)
    except ConfigError:
        return
    try:
        shown = template.text({"title": "t", "body": "b"})
    except RowError as exc:
        shown = str(exc)
    else:
        assert "__" not in payload, shown  # nothing that reaches an attribute renders
    assert not any(leak in shown for leak in LEAKS)


def test_template_payloads_through_the_cli(tmp_path: Path) -> None:
    """Every row is rejected with a reason; nothing of the host reaches any file written."""
    source = FIXTURES / "convert" / "tabular" / "reviews.csv"
    through_cli = [p for p in PAYLOADS if "popen" in p or "{%" in p or "globals" in p]
    for k, payload in enumerate(through_cli[:11]):
        out = tmp_path / f"run{k}" / "out.jsonl"
        outcome = run_cli(
            [
                "convert",
                str(source),
                "-o",
                str(out),
                "--isolated",
                "--to",
                "prompt-completion",
                "--prompt",
                payload,
                "--completion",
                "label",
            ]
        )
        assert outcome.code == 2 and "Traceback" not in outcome.err, outcome.err
        assert outcome.err_lines[-1].startswith("fineprep: error: nothing converted"), payload
        assert not out.exists()
        written = b"".join(p.read_bytes() for p in out.parent.iterdir())
        assert written, "the rejects file names the reason"
        assert not any(leak.encode() in written for leak in LEAKS[1:]), payload


def test_template_memory_bomb_is_a_row_error() -> None:
    template = compile_template("prompt", "{{ 'a' * 10**12 }}")
    with pytest.raises(RowError):
        template.text({})


# ------------------------------------------------------------------------- names and paths


def _tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def test_source_ids_never_become_paths(tmp_path: Path) -> None:
    """Ids and job ids like ``../../x`` stay data: files appear only where -o points."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    table = work / "rows.jsonl"
    ids = ["../../escaped", "/tmp/escaped-abs", "..", "x/../../../escaped2", "nul\x00name"]
    rows = [{"id": i, "prompt": f"p{n}", "completion": "c"} for n, i in enumerate(ids)]
    table.write_text("".join(json.dumps(r) + "\n" for r in rows))
    doc = json.loads((FIXTURES / "convert/textract/detect_text.json").read_text())
    doc["JobId"] = "../../../escaped-job"
    (work / "..%2f..%2fjob.json").write_text(json.dumps(doc))
    before = _tree(tmp_path)
    out = work / "out" / "out.jsonl"
    args = ["--isolated", "--to", "prompt-completion", "--id", "id"]
    assert run_cli(["convert", str(table), "-o", str(out), *args]).code == 0
    textract = ["--source", "textract", "--prompt", "document.text", "--completion", "a doc"]
    out2 = work / "out2" / "out.jsonl"
    run = run_cli(["convert", str(work / "..%2f..%2fjob.json"), "-o", str(out2), "--isolated",
                   "--to", "prompt-completion", *textract])  # fmt: skip
    assert run.code == 0, run.err
    new = _tree(tmp_path) - before
    assert all(out.parent in p.parents or out2.parent in p.parents or p in (out.parent, out2.parent)
               for p in new), sorted(new)  # fmt: skip
    assert not Path("/tmp/escaped-abs").exists()
    meta = [json.loads(line) for line in out.with_name("out.meta.jsonl").read_text().splitlines()]
    assert [m["id"] for m in meta] == ids  # kept as data, exactly


def test_s3_keys_are_file_names_under_the_prefix(tmp_path: Path, s3: Any) -> None:
    """Whatever path leads to a file, its object is PREFIX/<file name>: no local folder, no
    ``..`` ever reaches a key."""
    require_command("upload")
    server, url = s3
    write_dataset(tmp_path / "a" / "data", 40)
    data = tmp_path / "a" / "data"
    (data / "data.jsonl").rename(data / "train.jsonl")
    (data / "data.meta.jsonl").rename(data / "train.meta.jsonl")
    client = server.make_bucket(url, "keys")
    given = tmp_path / "a" / "data" / ".." / ".." / "a" / "data" / "train.jsonl"
    outcome = run_cli(
        [
            "upload",
            str(given),
            "--to",
            "s3://keys/runs/r1/",
            "-m",
            "nova-lite",
            "--isolated",
            "--endpoint-url",
            url,
            "--select",
            "P,S",
            "-q",
        ],
        env={**server.aws_env(), "FINEPREP_NO_CACHE": "1"},
    )
    assert outcome.code == 0, outcome.err
    keys = {o["Key"] for o in client.list_objects_v2(Bucket="keys")["Contents"]}
    assert keys == {"runs/r1/train.jsonl", "runs/r1/train.meta.jsonl", "runs/r1/manifest.json"}


def _linked_folder(tmp_path: Path) -> tuple[Path, Path]:
    """``docs/`` with one real Textract file, a file link and a folder link out of it."""
    base = json.loads((FIXTURES / "convert/textract/detect_text.json").read_text())

    def marked(text: str) -> str:
        doc = json.loads(json.dumps(base))
        for block in doc["Blocks"]:
            if block.get("BlockType") in ("LINE", "WORD"):
                block["Text"] = text
        return json.dumps(doc)

    docs, outside = tmp_path / "docs", tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    docs.mkdir()
    (docs / "a.json").write_text(json.dumps(base))
    (outside / "secret.json").write_text(marked("OUTSIDEFILE"))
    (outside / "dir" / "b.json").write_text(marked("OUTSIDEDIR"))
    (docs / "linkdir").symlink_to("../outside/dir")
    (docs / "etc").symlink_to("/etc")
    return docs, outside


def _convert_folder(tmp_path: Path, docs: Path) -> str:
    out = tmp_path / "out" / "out.jsonl"
    args = ["--source", "textract", "--to", "prompt-completion", "--prompt", "document.text"]
    run = run_cli(
        [
            "convert",
            str(docs),
            "-o",
            str(out),
            "--isolated",
            *args,
            "--completion",
            "a scanned page",
        ]
    )
    assert run.code in (0, 1), run.err
    return out.read_text() + out.with_name("out.meta.jsonl").read_text()


def test_folder_input_does_not_follow_folder_links(tmp_path: Path) -> None:
    docs, _ = _linked_folder(tmp_path)
    written = _convert_folder(tmp_path, docs)
    assert "OUTSIDEDIR" not in written and "/etc" not in written and "docs/a.json" in written


def test_folder_input_does_not_follow_file_links_out(tmp_path: Path) -> None:
    docs, _ = _linked_folder(tmp_path)
    (docs / "link.json").symlink_to("../outside/secret.json")
    assert "OUTSIDEFILE" not in _convert_folder(tmp_path, docs)


# ------------------------------------------------------------------------------ HTML report

HOSTILE_FAMILIES = ("literal", "dupkeys", "csv", "sidecar", "whole", "bytes")


def test_html_report_of_hostile_corpus_is_inert() -> None:
    """Every corpus file whose content reaches the report (messages, excerpts, sidecar
    sources) renders as text: no element outside the template's vocabulary."""
    files = sorted(
        str(p)
        for family in HOSTILE_FAMILIES
        for p in (CORPUS / family).iterdir()
        if p.suffix == ".jsonl" and not p.name.endswith(".meta.jsonl")
    )
    assert len(files) > 50
    result = check_files(files, Settings(model="nova-lite"))
    html = render(result, "html")
    doc = Doc(html)
    assert_inert(doc)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;" in html  # the sidecar's label/source markup is there, as text
