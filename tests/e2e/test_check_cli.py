"""``fineprep check`` end to end: exit codes, stdin, policy options, bad inputs, --fix."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from tests.e2e.cli import fineprep

GOOD = (
    '{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":'
    '[{"text":"q%d"}]},{"role":"assistant","content":[{"text":"answer %d"}]}]}'
)


def good_lines(n: int) -> str:
    return "".join(GOOD % (i, i) + "\n" for i in range(n))


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text(good_lines(10))
    return path


def test_clean_file_exits_0(good: Path) -> None:
    run = fineprep("check", "--model", "nova-lite", str(good))
    assert run.code == 0, run.out + run.err
    assert "All checks passed" in run.out


def test_errors_exit_1_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(good_lines(9) + '{"schemaVersion":"bedrock-conversation-2024"}\n')
    run = fineprep("check", "--model", "nova-lite", str(path))
    assert run.code == 1
    assert f"{path}:10: S001 [error]" in run.out


def test_exit_zero_and_fail_on(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(good_lines(10) + (GOOD % (1, 1)) + "\n")  # a duplicate: warning only
    assert fineprep("check", "-m", "nova-lite", str(path)).code == 0
    assert fineprep("check", "-m", "nova-lite", "--fail-on", "warning", str(path)).code == 1
    assert (
        fineprep("check", "-m", "nova-lite", "--fail-on", "warning", "--exit-zero", str(path)).code
        == 0
    )


def test_select_and_ignore_prefixes(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(good_lines(10) + GOOD.replace("q%d", "{{name}}") % 1 + "\n")
    assert "H003" in fineprep("check", "-m", "nova-lite", str(path)).out
    run = fineprep("check", "-m", "nova-lite", "--ignore", "H", str(path))
    assert run.code == 0 and "H003" not in run.out
    run = fineprep("check", "-m", "nova-lite", "--select", "D,N", str(path))
    assert run.code == 0 and "H003" not in run.out
    bad = fineprep("check", "-m", "nova-lite", "--select", "Q9", str(path))
    assert bad.code == 2 and "Q9" in bad.err


def test_severity_override_in_fineprep_toml(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text(good_lines(10) + (GOOD % (1, 1)) + "\n")
    (tmp_path / "fineprep.toml").write_text('model = "nova-lite"\n[severity]\nD001 = "error"\n')
    run = fineprep("check", "train.jsonl", cwd=tmp_path)
    assert run.code == 1 and "D001 [error]" in run.out


def test_pyproject_tool_section_and_unknown_key(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text(good_lines(10))
    (tmp_path / "pyproject.toml").write_text('[tool.fineprep]\nmodel = "nova-lite"\nmodle = 1\n')
    run = fineprep("check", "train.jsonl", cwd=tmp_path)
    assert run.code == 2
    assert "modle" in run.err and len(run.err.strip().splitlines()) == 1


def test_stdin_with_filename(good: Path) -> None:
    run = fineprep(
        "check",
        "-m",
        "nova-lite",
        "-",
        "--stdin-filename",
        "data/train.jsonl",
        stdin=good.read_bytes() + b"not json\n",
    )
    assert run.code == 1
    assert "data/train.jsonl:11: P001" in run.out


def test_several_files_and_validation_role(tmp_path: Path, good: Path) -> None:
    val = tmp_path / "validation.jsonl"
    val.write_text(good_lines(2))
    other = tmp_path / "more.jsonl"
    other.write_text('{"prompt": "a", "completion": "b"}\n')
    run = fineprep("check", "-m", "nova-2-lite", str(good), str(other), "--validation", str(val))
    assert run.code == 1
    assert f"{val}: N005" in run.out  # validation because the user said so; Nova 2 Lite takes none
    assert f"{other}:1: S002" in run.out  # prompt-completion is not a Nova format
    by_name = fineprep("check", "-m", "nova-2-lite", str(val))
    assert "N005" not in by_name.out and f"{val}: N001" in by_name.out  # the name never decides


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'{"prompt": "caf\xe9", "completion": "x"}\n', "P003"),
        (b"\xef\xbb\xbf" + (GOOD % (0, 0)).encode() + b"\n", "P004"),
        ((GOOD % (0, 0)).encode() + b"\n\n", "P005"),
        (b'{"schemaVersion":"bedrock-conversation-2024","messages":[{"ro', "P001"),
        (b'[{"prompt": "a", "completion": "b"}]\n', "P006"),
        (b"\x00\x01\x02binary\xff\xfe", "P003"),
        (b"", "N001"),
    ],
    ids=["invalid-utf8", "bom", "blank", "truncated", "array", "binary", "empty"],
)
def test_bad_inputs_give_findings(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(content)
    run = fineprep("check", "-m", "nova-lite", str(path))
    assert run.code == 1, run.out + run.err
    assert f" {code} [error]" in run.out


def test_50mb_line(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    text = "word " * 10_000_000
    path.write_text(
        '{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":'
        f'[{{"text":"{text}"}}]}},{{"role":"assistant","content":[{{"text":"ok"}}]}}]}}\n'
        + '{"prompt": "'
        + "x" * 50_000_000
    )
    run = fineprep("check", "-m", "nova-lite", "--select", "L001,P", str(path))
    assert run.code == 1
    assert ":1: L001" in run.out and ":2: P001" in run.out


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_inputs_exit_2_naming_the_file(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "nope.jsonl"
    if kind == "directory":
        target.mkdir()
    run = fineprep("check", "-m", "nova-lite", str(target))
    assert run.code == 2
    assert str(target) in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_unknown_model_exit_2() -> None:
    run = fineprep("check", "-m", "gpt-9", "fixtures/demo/train.jsonl")
    assert run.code == 2 and "gpt-9" in run.err


def test_fix_writes_beside_input_without_touching_it(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    body = b"\xef\xbb\xbf" + good_lines(10).encode() + b"\n" + b'{"broken\n'
    path.write_bytes(body)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    run = fineprep("check", "-m", "nova-lite", "--fix", str(path))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    fixed = tmp_path / "train.fixed.jsonl"
    rejected = tmp_path / "train.rejected.jsonl"
    assert fixed.read_bytes() == good_lines(10).encode()
    rejects = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert len(rejects) == 1 and rejects[0]["line"] == 12
    assert "P001" in json.dumps(rejects[0])
    again = fineprep("check", "-m", "nova-lite", str(fixed))
    assert again.code == 0, again.out
    assert run.code in (0, 1)


def test_offline_without_any_cache_counts_with_the_packaged_vocabularies(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(good_lines(10))
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    env = {
        "TIKTOKEN_CACHE_DIR": str(empty),
        "FINEPREP_ENCODING_CACHE": str(empty),  # a machine that never loaded one
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    run = fineprep("check", "-m", "nova-lite", "--stats", str(path), env=env)
    assert run.code == 0, run.err
    assert "T005" in run.out and not run.err
    # A tokenizer file that is not there is the one clear error (exit 2), naming the file.
    missing = fineprep(
        "check", "-m", "llama3-1-8b", "--stats", "--tokenizer-file", str(empty / "nope.json"),
        str(path), env=env,
    )  # fmt: skip
    assert missing.code == 2 and "nope.json" in missing.err
    assert len(missing.err.strip().splitlines()) == 1


def test_unchanged_inputs_are_not_rechecked(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(good_lines(10))
    cache = tmp_path / "cache"
    env = {"FINEPREP_CACHE_DIR": str(cache)}
    assert fineprep("check", "-m", "nova-lite", str(path), env=env).code == 0
    (entry,) = [p for p in cache.rglob("*.json")]
    assert stat.S_IMODE((cache / "key").stat().st_mode) == 0o600
    # Plant a finding in the entry: the seal no longer matches, so it is recomputed, not
    # trusted (and the recomputed verdict replaces it).
    mac, body = entry.read_text().split("\n", 1)
    doc = json.loads(body)
    doc["findings"].append(
        {"code": "H003", "name": "placeholder", "severity": "error", "message": "planted",
         "path": str(path), "line": 1, "json_path": None, "source": None, "data": {}}
    )  # fmt: skip
    entry.write_text(mac + "\n" + json.dumps(doc))
    replay = fineprep("check", "-m", "nova-lite", str(path), env=env)
    assert replay.code == 0 and "planted" not in replay.out
    assert "planted" not in entry.read_text()
    # A sealed entry is replayed (a hit does not re-check: its verdict is what was stored).
    assert fineprep("check", "-m", "nova-lite", str(path), env=env).code == 0
    # Any change to the data, the model or the selection is a miss.
    assert "planted" not in fineprep("check", "-m", "nova-pro", str(path), env=env).out
    path.write_text(good_lines(11))
    assert fineprep("check", "-m", "nova-lite", str(path), env=env).code == 0
    assert (cache / ".gitignore").read_text().strip().endswith("*")


def test_fix_duplicates_says_when_duplicates_were_not_checked(tmp_path: Path) -> None:
    data = tmp_path / "dup.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n' * 2)
    args = ["check", str(data), "-m", "llama3-1-8b", "--isolated", "--fix", "--fix-duplicates"]
    run = fineprep(*args, "--scope", "record")
    assert "D001 was not checked" in run.out + run.err
    assert "0 duplicates dropped" in run.out + run.err
    run = fineprep(*args)
    assert "D001 was not checked" not in run.out + run.err
    assert "1 duplicates dropped" in run.out + run.err


@pytest.mark.parametrize("target", ["v.fixed.jsonl", "v.fixed.meta.jsonl", "v.rejected.jsonl"])
def test_fix_refuses_a_report_path_it_writes_itself(tmp_path: Path, target: str) -> None:
    data = tmp_path / "v.jsonl"
    data.write_text('{"prompt": "a question", "completion": "an answer"}\n\n')
    run = fineprep("check", str(data), "--fix", "-o", str(tmp_path / target), cwd=tmp_path)
    assert run.code == 2
    assert f"which --fix writes for {data}" in run.err
    assert not (tmp_path / target).exists()


def test_dataset_paths_are_read_from_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "train.jsonl").write_text(good_lines(10))
    config = folder / "fineprep.toml"
    config.write_text('[dataset]\ntrain = "train.jsonl"\n')
    run = fineprep("check", "--config", str(config), "--dataset", "-m", "nova-lite", cwd=tmp_path)
    assert run.code == 0, run.out + run.err
    config.write_text('[dataset]\ntrain = "train.jsonl"\nvalidation = "missing.jsonl"\n')
    run = fineprep("check", "--config", str(config), "--dataset", cwd=tmp_path)
    assert run.code == 2
    assert f"{config}: [dataset] validation = 'missing.jsonl': no such file" in run.err


def test_an_unknown_model_in_config_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "fineprep.toml"
    config.write_text('model = "nova-lit"\n')
    data = tmp_path / "x.jsonl"
    data.write_text(good_lines(1) + "\n")
    run = fineprep("check", "--config", str(config), str(data))
    assert run.code == 2
    assert f"{config}: unknown model 'nova-lit' (did you mean 'nova-lite'?)" in run.err
