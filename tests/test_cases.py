"""The generic case runner: every check's passing and failing cases, from tests/cases/*.toml.

Each file is named after the code it exercises and holds ``[[case]]`` tables with the input
lines, the model/format/config to use, and the exact ``(line, code)`` findings expected for the
codes under test (``line`` 0 means a finding about the whole file or run). ``select`` defaults to
the file's codes; ``select = "default"`` runs the default rule set.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import settings_from_table
from fineprep.core.toml import loads
from fineprep.stages.check.engine import check_files
from tests.conftest import TOKENIZER

CASES_DIR = Path(__file__).with_name("cases")


@dataclass
class Case:
    code: str
    name: str
    spec: dict[str, Any]
    codes: list[str]
    expect: list[tuple[int, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.code}:{self.name}"


def file_bytes(spec: dict[str, Any], key: str = "lines") -> bytes:
    if "b64" in spec and key == "lines":
        return base64.b64decode(spec["b64"])
    if "text" in spec and key == "lines":
        return str(spec["text"]).encode("utf-8", "surrogatepass")
    lines = list(spec.get(key, []))
    template = spec.get("template") if key == "lines" else None
    if template is not None:
        lines += [template.replace("$i", str(i)) for i in range(spec.get("count", 1))]
    return "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")


def load_cases() -> list[Case]:
    out: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        doc = loads(path.read_text("utf-8"))
        defaults = doc.get("defaults", {})
        for spec in doc.get("case", []):
            merged = {**defaults, **spec}
            codes = merged.get("codes", [path.stem])
            expect = [(int(line), str(code)) for line, code in merged.get("expect", [])]
            out.append(Case(path.stem, merged["name"], merged, codes, expect))
    return out


CASES = load_cases()


def run_case(case: Case, tmp_path: Path) -> list[tuple[int, str]]:
    spec = case.spec
    if spec.get("tokens") and not TOKENIZER:
        pytest.skip("needs a tiktoken encoding")
    data = tmp_path / spec.get("filename", "train.jsonl")
    data.write_bytes(file_bytes(spec))
    if "meta" in spec:
        (tmp_path / (data.name[: -len(".jsonl")] + ".meta.jsonl")).write_bytes(
            file_bytes(spec, "meta")
        )
    if "set" in spec:  # the manifest a convert run writes last: this pair, or another run's
        from fineprep.io.outputs import set_manifest_path, write_set_manifest

        members = [data, tmp_path / (data.name[: -len(".jsonl")] + ".meta.jsonl")]
        write_set_manifest(set_manifest_path(data), members)
        stale = {"stale-data": 0, "stale-sidecar": 1}.get(spec["set"])
        if stale is not None:  # another run's bytes under that name since the manifest
            members[stale].write_bytes(members[stale].read_bytes().replace(b"1", b"7"))
    validation = []
    if "validation" in spec:
        vpath = tmp_path / "validation.jsonl"
        vpath.write_bytes(file_bytes(spec, "validation"))
        validation.append(str(vpath))
    settings = settings_from_table(dict(spec.get("config", {})))
    settings.model = spec.get("model", settings.model)
    settings.format = spec.get("format", settings.format)
    select = spec.get("select", case.codes)
    settings.select = None if select == "default" else list(select)
    result = check_files([str(data)], settings, validation=validation)
    return sorted((f.location.line or 0, f.code) for f in result.findings if f.code in case.codes)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    assert run_case(case, tmp_path) == sorted(case.expect)
