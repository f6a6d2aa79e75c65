"""The check result cache never replays a verdict that is not this input's under these settings:
its key covers every file the settings name and the tool's own code, its entries are sealed
with a per-user HMAC key, and a file that changes during the run is never stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fineprep.core.config import Settings
from fineprep.stages.check import cache
from fineprep.stages.check.engine import check_files

LINE = '{"prompt": "extract", "completion": "{\\"total\\": 99.0}"}\n'


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("FINEPREP_CACHE_DIR", str(root))
    return root


def _dataset(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text(LINE * 3)
    return path


def _key(settings: Settings, path: Path) -> cache.Key:
    key = cache.cache_key(settings, {"train": [str(path)]})
    assert key is not None
    return key


def test_the_key_covers_the_files_the_settings_name(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object"}')
    config = tmp_path / "fineprep.toml"
    config.write_text('completion-schema = "schema.json"\n')
    settings = Settings(completion_schema="schema.json", config_path=config)
    assert schema in cache.referenced_files(settings)
    before = _key(settings, data).digest
    schema.write_text('{"type": "object", "required": ["sum"]}')  # tightened: a new verdict
    assert _key(settings, data).digest != before
    tokenizer = tmp_path / "vocab.json"
    tokenizer.write_text("{}")
    with_file = Settings(tokenizer_file=str(tokenizer))
    first = _key(with_file, data).digest
    tokenizer.write_text('{"a": 1}')
    assert _key(with_file, data).digest != first


def test_the_key_covers_the_tool_version_and_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _dataset(tmp_path)
    before = _key(Settings(), data).digest
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    assert _key(Settings(), data).digest != before
    monkeypatch.setattr(cache, "code_digest", lambda: "edited install")
    monkeypatch.setattr(cache, "__version__", cache.__version__)
    assert _key(Settings(), data).digest != before


def test_a_tightened_schema_is_not_answered_from_the_cache(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object"}')
    (tmp_path / "fineprep.toml").write_text(
        'model = "llama3-1-8b"\ncompletion-format = "json"\ncompletion-schema = "schema.json"\n'
    )
    env = {**os.environ, "FINEPREP_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fineprep", "check", "--select", "C", str(data)],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    assert check().returncode == 0
    schema.write_text('{"type": "object", "required": ["sum"]}')
    tightened = check()
    assert tightened.returncode == 1 and "C002" in tightened.stdout


def test_forged_edited_or_moved_entries_are_recomputed(tmp_path: Path, cache_root: Path) -> None:
    data = _dataset(tmp_path)
    settings = Settings(model="llama3-1-8b")
    key = _key(settings, data)
    result = check_files([str(data)], settings)
    cache.store(key, result)
    loaded = cache.load(key, settings)
    assert loaded is not None and loaded.exit_code == result.exit_code
    (entry,) = [p for p in cache_root.rglob("*.json")]
    sealed = entry.read_bytes()
    mac, _, body = sealed.partition(b"\n")
    doc = json.loads(body)
    doc["findings"] = []
    entry.write_bytes(mac + b"\n" + json.dumps(doc).encode())
    assert cache.load(key, settings) is None  # edited body
    entry.write_bytes(b"0" * 64 + b"\n" + body)
    assert cache.load(key, settings) is None  # forged seal
    prefix = "cd" if key.digest.startswith("ab") else "ab"  # another key, whatever the digest
    other = cache.Key(prefix + key.digest[2:], {})
    target = cache_root / prefix / f"{other.digest}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(sealed)
    assert cache.load(other, settings) is None  # an entry copied under another key
    entry.write_bytes(sealed)
    (cache_root / "key").chmod(0o644)  # a key others can read proves nothing
    assert cache.load(key, settings) is None


def test_a_file_that_changes_during_the_run_is_not_stored(tmp_path: Path, cache_root: Path) -> None:
    data = _dataset(tmp_path)
    settings = Settings()
    key = _key(settings, data)
    result = check_files([str(data)], settings)
    data.write_text(LINE * 4)  # edited while the check ran
    cache.store(key, result)
    assert not list(cache_root.rglob("*.json"))
    assert cache.load(key, settings) is None


def test_dropped_lines_round_trip_exactly(tmp_path: Path, cache_root: Path) -> None:
    data = _dataset(tmp_path)
    settings = Settings()
    key = _key(settings, data)
    result = check_files([str(data)], settings)
    result.files[0].dropped = {3, 17}
    cache.store(key, result)
    loaded = cache.load(key, settings)
    assert loaded is not None and loaded.files[0].dropped == {3, 17}
    assert loaded.files == result.files
