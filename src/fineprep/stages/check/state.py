"""The state a check run shares with its checks: files, records, findings, policy.

Kept apart from the engine so that check modules can name these types without importing the
engine (which imports every check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fineprep.core import __version__, jsonexact
from fineprep.core.config import Settings
from fineprep.core.model import Finding, Location, RecordMeta, Severity
from fineprep.core.profiles import ModelProfile
from fineprep.core.results import Result
from fineprep.core.rules import RULES, Path, format_path
from fineprep.formats.base import View
from fineprep.stages.check.findings import FindingLog
from fineprep.stages.check.scan import LiteralScanner

if TYPE_CHECKING:
    from fineprep.tokens.counter import TokenCounter
    from fineprep.tokens.source import TokenSource


#: Per-prompt rules whose errors make Bedrock drop a distillation prompt rather than fail the job
#: (structure, text and token limits; the distillation input report lists them as rejected).
DROPPED_PROMPT_CODES = frozenset(
    {"S001", "S003", "S004", "S005", "S006", "S007", "S008", "L001", "L004", "T001", "T002", "T003"}
)


@dataclass
class FileState:
    """One input file as the checks see it."""

    path: str
    role: str = "train"
    format: str | None = None
    forced_format: bool = False
    records: int = 0
    lines: int = 0
    bytes: int = 0
    first_record_line: int | None = None
    tokens: int = 0
    has_sidecar: bool = False
    sidecar_short: bool = False
    #: Lines of a distillation file whose prompt Bedrock drops (an error in a per-prompt rule).
    dropped: set[int] = field(default_factory=set)
    #: A forced format the records are not in (reported once, the records not walked).
    format_mismatch: bool = False
    #: Not read as JSONL at all (compressed, UTF-16, a JSON array or document): --fix leaves it.
    unparsed: bool = False
    #: Records whose sidecar names the original they were made from (``fineprep augment``),
    #: per strategy: counts are reported with and without them.
    augmented: dict[str, int] = field(default_factory=dict)

    @property
    def augmented_records(self) -> int:
        return sum(self.augmented.values())

    def summary(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "role": self.role,
            "format": self.format,
            "records": self.records,
            "bytes": self.bytes,
        }


class RecordContext:
    """What a per-record check sees: the parsed object, its raw line, view and location."""

    __slots__ = ("_hashes", "_hits", "_obj", "file", "line", "meta", "raw", "run", "view")

    def __init__(
        self,
        run: RunState,
        file: FileState,
        line: int,
        raw: bytes,
        obj: dict[str, Any] | None,
        view: View,
        meta: RecordMeta | None,
    ) -> None:
        self.run = run
        self.file = file
        self.line = line
        self.raw = raw
        self._obj = obj
        self.view = view
        self.meta = meta
        self._hits: frozenset[str] | None = None
        self._hashes: tuple[int, int] | None = None

    @property
    def obj(self) -> dict[str, Any]:
        """The parsed record. A record read by its format's typed decoder has only its view
        until a check asks for the object (then it is parsed from the line, once)."""
        if self._obj is None:
            self._obj = jsonexact.loads(self.raw)
        return self._obj

    @property
    def hits(self) -> frozenset[str]:
        """Tags of the literal families present in the raw line (one scan, shared by checks)."""
        if self._hits is None:
            self._hits = self.run.scanner.scan(self.raw)
        return self._hits

    @property
    def hashes(self) -> tuple[int, int]:
        """Hashes of the context (``segments[:split]``) and of the answer (the rest), computed
        once for every duplicate check."""
        if self._hashes is None:
            self._hashes = self.view.identity_hashes()
        return self._hashes

    def emit(
        self, code: str, message: str, path: Path | None = None, data: dict[str, Any] | None = None
    ) -> None:
        self.run.emit(
            code, message, self.file, self.line, path, data, self.meta.source if self.meta else None
        )


@dataclass
class RunState:
    """Shared state of one check run: settings, model, enabled rules, findings."""

    settings: Settings
    profile: ModelProfile | None
    enabled: frozenset[str]
    severity: dict[str, Severity]
    encoding: str
    #: Roles of the files this run will check (cross-file checks skip work when alone).
    planned_roles: frozenset[str] = frozenset({"train"})
    #: A partition of a file in a worker: checks whose verdicts depend on the whole file
    #: record what they need and judge in the run that merges the partitions.
    partition: bool = False
    findings: FindingLog = field(default_factory=FindingLog)
    files: list[FileState] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    #: Literal families checks register in ``start`` (see :mod:`.scan`), and their scanner.
    literals: dict[str, tuple[bytes, ...]] = field(default_factory=dict)
    scanner: LiteralScanner = field(init=False)

    #: How tokens are counted (set by new_run from the profile and settings).
    token_source: TokenSource | None = None
    _tokens: TokenCounter | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.scanner = LiteralScanner({})

    @property
    def tokens(self) -> TokenCounter:
        """The run's token counter, made (and the tokenizer code imported) only when a record
        needs counting: most runs decide every limit from the bounds and never count."""
        if self._tokens is None:
            from fineprep.tokens.counter import TokenCounter
            from fineprep.tokens.source import profile_source

            source = self.token_source or profile_source(self.profile, self.encoding)
            self._tokens = TokenCounter(source, self.profile)
        return self._tokens

    def close_tokens(self) -> int:
        """Stop any token workers; returns how many records were tokenized."""
        if self._tokens is None:
            return 0
        self._tokens.close()
        return self._tokens.records_tokenized

    def is_enabled(self, code: str) -> bool:
        return code in self.enabled

    def emit(
        self,
        code: str,
        message: str,
        file: FileState | None,
        line: int | None,
        path: Path | str | None = None,
        data: dict[str, Any] | None = None,
        source: str | None = None,
        related: list[Location] | None = None,
    ) -> None:
        if code not in self.enabled:
            return
        severity = self.severity[code]
        if (
            severity is Severity.ERROR
            and line is not None
            and file is not None
            and file.format == "distillation"
            and code in DROPPED_PROMPT_CODES
        ):
            # Bedrock drops an invalid distillation prompt and trains on the rest; the file
            # fails only when too few valid prompts remain (N001 counts them).
            file.dropped.add(line)
            severity = Severity.WARNING
            message += " (Bedrock drops this prompt)"
            data = {**(data or {}), "dropped": True}
        json_path = path if isinstance(path, str) or path is None else format_path(path)
        self.findings.append(
            Finding(
                code=code,
                name=RULES.get(code).name,
                severity=severity,
                message=message,
                location=Location(file.path if file else "", line, json_path, source),
                data=data or {},
                related=related or [],
            )
        )


@dataclass
class CheckResult(Result):
    """Findings plus what was checked; ``exit_code`` applies the fail-on policy.
    ``to_dict()`` is the JSON report's document, ``to_pandas()`` the findings as a table."""

    #: A :class:`FindingLog` from a run (in report order, spilled to disk when there are
    #: many), or a plain list.
    findings: list[Finding] | FindingLog
    files: list[FileState]
    profile: ModelProfile | None
    settings: Settings
    stats: dict[str, Any]

    def count(self, severity: Severity) -> int:
        if isinstance(self.findings, FindingLog):
            return self.findings.count(severity)
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def valid(self) -> bool:
        return self.count(Severity.ERROR) == 0

    def by_code(self) -> dict[str, int]:
        if isinstance(self.findings, FindingLog):
            return dict(sorted(self.findings.codes.items()))
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.code] = out.get(f.code, 0) + 1
        return dict(sorted(out.items()))

    @property
    def exit_code(self) -> int:
        threshold = self.settings.fail_on.rank
        if isinstance(self.findings, FindingLog):
            return 1 if any(s.rank >= threshold for s in self.findings.severities) else 0
        return 1 if any(f.severity.rank >= threshold for f in self.findings) else 0

    def to_dict(self) -> dict[str, Any]:
        return _report_document(self)

    def header_dict(self) -> dict[str, Any]:
        """``to_dict()`` with no findings: what a streaming reporter writes before them."""
        return _report_document(self, with_findings=False)


def _report_document(result: CheckResult, with_findings: bool = True) -> dict[str, Any]:
    """The JSON report's document (``schemas/report.schema.json``); ``findings`` is its last
    key (the JSON reporter streams them after the rest)."""
    p = result.profile
    return {
        "version": 1,
        "tool": {"name": "fineprep", "version": __version__},
        "valid": result.valid,
        "model": None if p is None else {"key": p.key, "id": p.base_model_id, "name": p.name},
        "summary": {
            "files": len(result.files),
            "records": result.records,
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
            "by_code": result.by_code(),
            "tokens": _token_summary(result),
        },
        "files": [f.summary() for f in result.files],
        "findings": [f.to_dict() for f in result.findings] if with_findings else [],
    }


def _token_summary(result: CheckResult) -> dict[str, Any]:
    stats = result.stats
    out: dict[str, Any] = {
        "encoding": stats.get("encoding"),
        "tokenized_records": stats.get("tokenized_records", 0),
        "exact": bool(result.settings.exact_tokens),
    }
    if "tokens" in stats:
        out["files"] = stats["tokens"]
    if "remote_token_counts" in stats:
        out["remote"] = stats["remote_token_counts"]
    return out
