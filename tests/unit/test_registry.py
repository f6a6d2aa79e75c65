"""Every finding code is documented, selectable and exercised by passing and failing cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fineprep.core.toml import loads
from fineprep.stages.check.rules import CHECKS, RULES, ordered_rules

CASES = Path(__file__).resolve().parents[1] / "cases"
#: Codes emitted by commands other than ``check`` (convert: G, upload: U, grade: R); those
#: commands' own tests exercise them against real sources, a real S3 endpoint and sample graders.
OUTSIDE_CHECK = ("G", "U", "R")


def test_codes_are_well_formed_and_unique_names() -> None:
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))
    for r in RULES.values():
        assert re.fullmatch(r"[A-Z]\d{3}", r.code), r.code
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", r.name), r.name


@pytest.mark.parametrize("code", list(RULES))
def test_rule_has_full_explanation(code: str) -> None:
    rule = RULES.get(code)
    for part in ("what", "why", "example", "fix"):
        text = getattr(rule.explanation, part)
        assert isinstance(text, str) and len(text.strip()) >= 10, f"{code}.{part}"
    assert rule.summary and not rule.summary.endswith(".")


@pytest.mark.parametrize("code", [c for c in RULES if not c.startswith(OUTSIDE_CHECK)])
def test_rule_has_passing_and_failing_cases(code: str) -> None:
    path = CASES / f"{code}.toml"
    assert path.is_file(), f"missing {path.name}"
    doc = loads(path.read_text("utf-8"))
    defaults = doc.get("defaults", {})
    cases = [{**defaults, **c} for c in doc.get("case", [])]
    assert any(not c.get("expect") for c in cases), f"{code}: no passing case"
    assert any(any(e[1] == code for e in c.get("expect", [])) for c in cases), (
        f"{code}: no failing case"
    )


#: Codes the engine's reader (P, S002, S009) and the format analyzers (S001, S003, S007, S008)
#: report while parsing and walking each record, before any check runs.
ENGINE_CODES = {"P001", "P002", "P003", "P004", "P005", "P006", "P007"}
ENGINE_CODES |= {"S001", "S002", "S003", "S007", "S008", "S009"}


def test_every_checked_code_has_a_check() -> None:
    emitted = {code for cls in CHECKS.values() for code in cls.codes}
    for code in RULES:
        if code in ENGINE_CODES or code.startswith(OUTSIDE_CHECK):
            continue
        assert code in emitted, f"{code} has a rule but no check declares it"
    assert not (emitted & ENGINE_CODES - {"S006"}), "a check declares an engine code"


def test_catalogue_order_is_stable() -> None:
    codes = [r.code for r in ordered_rules()]
    families = [c[0] for c in codes]
    assert families.index("P") < families.index("S") < families.index("T") < families.index("N")


def test_every_format_walker_resolves() -> None:
    """Format walkers are named by module path and imported on first use: each must exist."""
    from fineprep.formats import FORMATS

    for name, spec in FORMATS.items():
        assert callable(spec.analyze), name
        assert spec.analyze.__module__ == spec.walker.partition(":")[0], name
