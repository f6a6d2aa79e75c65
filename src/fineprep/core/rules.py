"""The rule catalogue's vocabulary: what a finding code is, and how users see it.

A *rule* is what users see: a stable code, a name, a default severity and an explanation
(what / why / example / fix) used by ``fineprep explain``, SARIF rule help and the HTML report.
Every stage that emits findings (convert's G001, check's rules, upload's U codes) names its rule
here, so the catalogue, the reports and the selection logic need nothing above ``core``. The
rules themselves are declared next to the code that emits them (``stages/check/rules/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fineprep.core.model import Severity
from fineprep.core.registry import Registry

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Explanation:
    what: str
    why: str
    example: str
    fix: str


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: Severity
    explanation: Explanation
    fixable: bool = False
    #: Off unless selected (``--select CODE``) or switched on by an option (T005 by --stats).
    default_enabled: bool = True
    #: Findings that cannot be ignored (an unparsed record cannot be checked).
    mandatory: bool = False
    options: dict[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        """``dataset`` for rules judged over the whole set of files (counts, class balance,
        duplicates, leaks, token totals), ``record`` for those that judge each record alone.
        A check of a few changed files (the per-file pre-commit hook) runs only the latter:
        a shard of a dataset has too few records by design."""
        return "dataset" if self.code.startswith(DATASET_SCOPE) else "record"


#: Codes (prefixes) of the dataset rules: the counts (N), class balance (B), duplicates and
#: leaks between records (D001-D004), and the dataset's token statistics (T005).
DATASET_SCOPE = ("N", "B", "D001", "D002", "D003", "D004", "T005")
SCOPES = ("all", "record")

RULES: Registry[Rule] = Registry("rule")

#: Catalogue order of the code families (parse, schema, length, tokens, duplicates, balance,
#: counts, hygiene, contracts, expectations, upload, reward function).
FAMILY_ORDER = "PSLTDBNHCGUR"


def code_key(code: str) -> tuple[int, str]:
    family = FAMILY_ORDER.find(code[:1])
    return (family if family >= 0 else len(FAMILY_ORDER), code)


def ordered_rules() -> list[Rule]:
    """Every rule in catalogue order (independent of import order)."""
    return [RULES.get(code) for code in sorted(RULES, key=code_key)]


def rule(
    code: str,
    name: str,
    severity: str,
    summary: str,
    *,
    what: str,
    why: str,
    example: str,
    fix: str,
    fixable: bool = False,
    default_enabled: bool = True,
    mandatory: bool = False,
    options: dict[str, str] | None = None,
) -> Rule:
    """Declare and register a rule."""
    return RULES.add(
        code,
        Rule(
            code=code,
            name=name,
            summary=summary,
            severity=Severity(severity),
            explanation=Explanation(what=what, why=why, example=example, fix=fix),
            fixable=fixable,
            default_enabled=default_enabled,
            mandatory=mandatory,
            options=options or {},
        ),
    )


def format_path(path: Path | None) -> str | None:
    """``("messages", 1, "content", 0, "text")`` -> ``$.messages[1].content[0].text``."""
    if path is None:
        return None
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.isidentifier():
            out.append(f".{part}")
        else:
            out.append(f"[{_quote(part)}]")
    return "".join(out)


def _quote(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def option(options: dict[str, Any], name: str, default: Any, kind: type) -> Any:
    """Read a per-check option with its type checked (config errors name the option)."""
    from fineprep.core.errors import ConfigError

    value = options.get(name, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"check option {name!r} must be of type {kind.__name__}, got {value!r}")
    return value
