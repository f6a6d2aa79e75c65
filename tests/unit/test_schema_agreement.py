"""The runtime validators agree with the published JSON Schemas on every fixture case line.

For each JSON-object line of every case file, under the format the case forces (or the one the
line is detected as), "jsonschema rejects it" must equal "fineprep reports S001 or S007 for it".
Rules beyond structure (turn order, media per model, lengths) are outside the schemas by design.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from fineprep.core.config import Settings
from fineprep.core.toml import loads
from fineprep.formats import detect
from fineprep.stages.check.engine import check_files

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"
STRUCTURAL = {"S001", "S007"}


def _lines() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for path in sorted(CASES.glob("*.toml")):
        doc = loads(path.read_text("utf-8"))
        defaults = doc.get("defaults", {})
        for case in doc.get("case", []):
            spec = {**defaults, **case}
            lines = list(spec.get("lines", []))
            if "template" in spec:
                lines.append(spec["template"].replace("$i", "0"))
            lines += list(spec.get("validation", []))
            for line in lines:
                try:
                    obj = orjson.loads(line.encode("utf-8", "surrogatepass"))
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(obj, dict):
                    continue
                fmt = spec.get("format") or detect(obj)
                if fmt is not None:
                    out.append((f"{path.stem}:{spec['name']}", fmt, line))
    return out


LINES = _lines()
_VALIDATORS: dict[str, Any] = {}


def _schema_ok(fmt: str, obj: Any) -> bool:
    if fmt not in _VALIDATORS:
        schema = json.loads((ROOT / "schemas" / f"{fmt}.schema.json").read_text("utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        _VALIDATORS[fmt] = jsonschema.Draft202012Validator(schema)
    return bool(_VALIDATORS[fmt].is_valid(obj))


def test_corpus_is_substantial() -> None:
    assert len(LINES) >= 100
    assert {fmt for _, fmt, _ in LINES} >= {
        "prompt-completion",
        "conversation",
        "claude-messages",
        "pretraining",
        "distillation",
        "image-caption",
    }


@pytest.mark.parametrize(("case", "fmt", "line"), LINES, ids=[f"{c}|{f}" for c, f, _ in LINES])
def test_runtime_agrees_with_schema(case: str, fmt: str, line: str, tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_bytes(line.encode("utf-8", "surrogatepass") + b"\n")
    settings = Settings(format=fmt, select=sorted(STRUCTURAL))
    result = check_files([str(data)], settings)
    runtime_ok = not any(f.code in STRUCTURAL for f in result.findings)
    assert runtime_ok == _schema_ok(fmt, orjson.loads(line.encode("utf-8", "surrogatepass")))
