"""The check framework: rules (metadata per code) and checks (code that emits them).

A *rule* is what users see: a stable code, a name, a default severity and an explanation
(what / why / example / fix) used by ``fineprep explain``, SARIF rule help and the HTML report.
A *check* is what runs: it declares the codes it emits and gets the record stream. One check
may emit several related codes (the format validator finds S001, S003 and S006 in one walk of
the record), which keeps every record walked once.

Lifecycle per run: ``start(run)``, then per file ``start_file(file)``, ``check(rec)`` for each
record, ``finish_file(file)``; finally ``finish(run)`` for cross-file (dataset) findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.model import Severity
from fineprep.registry import Registry

if TYPE_CHECKING:
    from fineprep.context import FileState, RecordContext, RunState

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


RULES: Registry[Rule] = Registry("rule")

#: Catalogue order of the code families (parse, schema, length, tokens, duplicates, balance,
#: counts, hygiene, contracts, expectations, upload).
FAMILY_ORDER = "PSLTDBNHCGU"


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


class Check:
    """Base class of every check. Subclasses set ``codes`` and override what they need."""

    codes: ClassVar[tuple[str, ...]] = ()
    #: Formats the per-record hook applies to (None: all).
    formats: ClassVar[frozenset[str] | None] = None
    #: Whether ``check`` must see records whose structure is invalid.
    needs_valid: ClassVar[bool] = True

    def __init__(self, run: RunState) -> None:
        self.run = run

    def start(self, run: RunState) -> None:
        """Called once before the first file."""

    def start_file(self, file: FileState) -> None:
        """Called before the first record of each file."""

    def check(self, rec: RecordContext) -> None:
        """Called for each parsed record."""

    def finish_file(self, file: FileState) -> None:
        """Called after the last record of each file."""

    def finish(self, run: RunState) -> None:
        """Called once after the last file: dataset-level findings."""

    #: Whether ``check`` is a real per-record hook (lets the engine skip no-op calls).
    @classmethod
    def has_record_hook(cls) -> bool:
        return cls.check is not Check.check


CHECKS: Registry[type[Check]] = Registry("check")


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: add a check to the registry (every code must have a rule)."""
    for code in cls.codes:
        RULES.get(code)
    CHECKS.add(cls.__name__, cls)
    return cls


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
    from fineprep.errors import ConfigError

    value = options.get(name, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"check option {name!r} must be of type {kind.__name__}, got {value!r}")
    return value
