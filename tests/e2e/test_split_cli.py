"""``fineprep split`` on the command line: outputs, stderr notes, reporters, exit codes 0/1/2."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner, Result

from fineprep.cli.main import cli


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["split", *args, "--isolated"])


def dataset(folder: Path, n: int = 200, groups: bool = True) -> Path:
    rng = random.Random(0)
    path = folder / "data.jsonl"
    lines, meta = [], []
    for i in range(n):
        label = rng.choice(["billing", "shipping", "returns"])
        lines.append(json.dumps({"prompt": f"ticket {i}: {rng.random():.8f}", "completion": label}))
        group = f"c{i % 37}" if groups else None
        meta.append(json.dumps({"id": f"t{i}", "label": label, "group": group}))
    path.write_text("\n".join(lines) + "\n")
    (folder / "data.meta.jsonl").write_text("\n".join(meta) + "\n")
    return path


def test_split_writes_files_and_reports_on_stderr(tmp_path: Path) -> None:
    data, out = dataset(tmp_path), tmp_path / "out"
    result = _run(str(data), "-o", str(out), "--validation", "0.2", "--stratify", "label")
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr and "split.json" in result.stderr
    assert result.stdout.startswith("All checks passed")
    summary = json.loads((out / "split.json").read_text())
    assert summary["parameters"]["stratify"] == "label"
    assert sum(summary["counts"].values()) == 200
    again = _run(
        str(data), "-o", str(tmp_path / "again"), "--validation", "0.2", "--stratify", "label"
    )
    assert again.exit_code == 0
    for name in ("train.jsonl", "validation.jsonl", "train.meta.jsonl"):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_json_report_is_the_only_stdout(tmp_path: Path) -> None:
    data = dataset(tmp_path)
    result = _run(str(data), "-o", str(tmp_path / "o"), "--output-format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 2
    assert {f["role"] for f in report["files"]} == {"train", "validation"}


def test_errors_on_the_outputs_exit_1(tmp_path: Path) -> None:
    data = dataset(tmp_path)
    config = tmp_path / "fineprep.toml"
    config.write_text("[models.nova-lite]\nmax_records = 150\n")
    args = [str(data), "-o", str(tmp_path / "o"), "-m", "nova-lite", "--config", str(config)]
    result = CliRunner().invoke(cli, ["split", *args])
    assert result.exit_code == 1, result.output
    assert "N002" in result.stdout
    assert CliRunner().invoke(cli, ["split", *args, "--exit-zero"]).exit_code == 0


def test_model_without_validation_is_explained(tmp_path: Path) -> None:
    data = dataset(tmp_path, 250)
    result = _run(str(data), "-o", str(tmp_path / "o"), "-m", "nova-2-lite")
    assert result.exit_code == 0, result.output
    assert "takes no validation set" in result.stderr
    assert not (tmp_path / "o" / "validation.jsonl").exists()


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "a",\n')
    result = _run(str(data), "-o", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert result.stderr.startswith("fineprep: error: ")
    assert f"{data}:2: invalid JSON" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_bad_options_exit_2(tmp_path: Path) -> None:
    data = dataset(tmp_path, 20)
    result = _run(str(data), "-o", str(tmp_path / "o"), "--validation", "0.7", "--test", "0.4")
    assert result.exit_code == 2
    assert "leave nothing for train" in result.stderr
    missing = _run(str(data))
    assert missing.exit_code == 2 and "no output directory" in missing.stderr


def test_downsampling_is_reported(tmp_path: Path) -> None:
    data = dataset(tmp_path, groups=False)
    result = _run(
        str(data), "-o", str(tmp_path / "o"), "--stratify", "label", "--max-per-class", "30"
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.count("--max-per-class 30: dropped") == 3
    summary = json.loads((tmp_path / "o" / "split.json").read_text())
    assert summary["counts"]["train"] + summary["counts"]["validation"] == 90
    for label in ("billing", "shipping", "returns"):
        kept = sum(summary["classes"][name].get(label, 0) for name in ("train", "validation"))
        assert kept == 30


def test_check_runs_the_cross_file_checks_on_files_split_elsewhere(tmp_path: Path) -> None:
    train = [{"prompt": f"ticket {i} about billing", "completion": "billing"} for i in range(12)]
    train += [{"prompt": f"ticket {i} about returns", "completion": "returns"} for i in range(12)]
    val = [train[3], {"prompt": "a new billing question", "completion": "billing"}]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train))
    (tmp_path / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in val))
    args = ["check", str(tmp_path / "train.jsonl"), "--validation", str(tmp_path / "val.jsonl")]
    result = CliRunner().invoke(
        cli, [*args, "--isolated", "--no-cache", "--select", "D004,B", "--output-format", "json"]
    )
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    leak = next(f for f in findings if f["code"] == "D004")
    assert (leak["line"], leak["data"]["kind"], leak["data"]["train_line"]) == (1, "exact", 4)
    missing = next(f for f in findings if f["code"] == "B003")
    assert missing["data"]["label"] == "returns" and missing["data"]["missing_in"] == "validation"
