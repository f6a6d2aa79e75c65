"""L001's severity follows the model's source, and Titan Multimodal Embeddings' own limits.

Where AWS's dataset requirements list the character quota as a maximum (Titan Text, Cohere,
Llama 2: "Character quota per sample in dataset: token quota x 6"), Bedrock fails the job on a
record over it, so L001 is an error, and the quota shrinks with the token quota when the batch
size lowers it. Elsewhere the quota is AWS's planning estimate and L001 warns.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from fineprep.core.config import settings_from_table
from fineprep.core.model import Severity
from fineprep.core.profiles import get_profile
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.state import CheckResult


def _check(
    tmp_path: Path,
    model: str,
    records: list[dict[str, object]],
    table: dict[str, object] | None = None,
    validation: list[dict[str, object]] | None = None,
) -> CheckResult:
    train = tmp_path / "train.jsonl"
    train.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    settings = settings_from_table(dict(table or {}))
    settings.model = model
    val = None
    if validation is not None:
        vpath = tmp_path / "val.jsonl"
        vpath.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in validation))
        val = [str(vpath)]
    return check_files([str(train)], settings, validation=val)


def _by_code(result: CheckResult, code: str) -> list[tuple[int | None, Severity, str]]:
    return [(f.location.line, f.severity, f.message) for f in result.findings if f.code == code]


def _prose(chars: int) -> str:
    words = "the quick brown fox jumps over a lazy dog and runs far away "
    return (words * (chars // len(words) + 1))[:chars].strip()


def test_documented_quota_is_an_error(tmp_path: Path) -> None:
    rec = {"prompt": _prose(25_000), "completion": "done"}
    found = _by_code(_check(tmp_path, "titan-text-express", [rec]), "L001")
    assert [(line, sev) for line, sev, _ in found] == [(1, Severity.ERROR)]
    assert "character quota is 24,576 (its token quota x 6)" in found[0][2]


def test_documented_quota_shrinks_with_the_batch_size(tmp_path: Path) -> None:
    rec = {"prompt": _prose(13_000), "completion": "done"}
    assert not _by_code(_check(tmp_path, "titan-text-express", [rec]), "L001")
    table = {"hyperparameters": {"batchSize": 2}}
    found = _by_code(_check(tmp_path, "titan-text-express", [rec], table), "L001")
    assert [(line, sev) for line, sev, _ in found] == [(1, Severity.ERROR)]
    assert "12,288" in found[0][2]


def test_planning_estimate_stays_a_warning(tmp_path: Path) -> None:
    rec = {"prompt": _prose(100_000), "completion": "done"}
    found = _by_code(_check(tmp_path, "llama3-1-8b", [rec]), "L001")
    assert [(line, sev) for line, sev, _ in found] == [(1, Severity.WARNING)]


def test_a_severity_set_in_config_wins(tmp_path: Path) -> None:
    rec = {"prompt": _prose(25_000), "completion": "done"}
    table = {"severity": {"L001": "warning"}}
    found = _by_code(_check(tmp_path, "titan-text-express", [rec], table), "L001")
    assert [sev for _, sev, _ in found] == [Severity.WARNING]


def test_documented_flag_only_on_models_whose_requirements_list_the_quota() -> None:
    documented = {
        key
        for key in ("titan-text-express", "titan-text-lite", "titan-text-premier",
                    "cohere-command", "llama2-13b", "llama3-1-8b", "nova-lite",
                    "claude-3-haiku")
        if get_profile(key).record_chars_documented
    }  # fmt: skip
    assert documented == {
        "titan-text-express", "titan-text-lite", "titan-text-premier", "cohere-command",
        "llama2-13b",
    }  # fmt: skip


def _pair(i: int, caption: str) -> dict[str, object]:
    return {"image-ref": f"s3://bucket/images/{i}.png", "caption": caption}


def test_titan_embeddings_limits(tmp_path: Path) -> None:
    records = [_pair(i, f"a photo of item {i}") for i in range(1000)]
    records[3] = _pair(3, "")
    records[4] = _pair(4, "x " * 1000)  # 2,000 characters: over Image Generator's 1,024
    records[5] = _pair(5, "y" * 2561)
    val = [_pair(10_000 + i, f"a photo of item {i}") for i in range(8)]
    result = _check(tmp_path, "titan-embed-image", records, validation=val)
    codes = {(f.location.line, f.code) for f in result.findings if f.severity is Severity.ERROR}
    assert codes == {(6, "L006")}
    small = _check(tmp_path, "titan-embed-image", records[:999])
    assert [f.code for f in small.findings if f.severity is Severity.ERROR] == ["N001", "L006"]
    profile = get_profile("titan-embed-image")
    assert (profile.max_records, profile.max_validation_records) == (500_000, 50_000)
    assert (profile.max_image_bytes, profile.image_min_side) == (5_000_000, 128)
