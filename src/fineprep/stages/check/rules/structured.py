"""C: structured answers (JSON completions and their schema) and allowed labels.

These apply only when the project declares them (``completion-format = "json"``,
``completion-schema``, ``labels``): extraction and classification datasets have contracts the
generic checks cannot know.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from fineprep.core.errors import ConfigError
from fineprep.core.rules import rule
from fineprep.formats.base import answer_text, record_label
from fineprep.stages.check.rules.base import Check, register

if TYPE_CHECKING:
    from fineprep.stages.check.state import RecordContext, RunState

rule(
    "C001",
    "completion-not-json",
    "error",
    'a completion declared structured (`completion-format = "json"`) does not parse',
    what='With completion-format = "json" in config, an answer (completion or final assistant '
    "text) that is not valid JSON.",
    why="An extraction model trained on broken JSON produces broken JSON; downstream parsers "
    "fail on exactly the outputs you trained.",
    example='{"completion": "{\'name\': terminal}"}   <- single quotes, unquoted value',
    fix="Serialise answers with a JSON library (`fineprep convert` does it canonically); the "
    "finding gives the parse error and column.",
)
rule(
    "C002",
    "completion-schema",
    "error",
    "a structured completion fails the configured JSON Schema",
    what="With completion-schema set, a JSON answer that does not satisfy that schema (missing "
    "field, wrong type, value not in an enum). For RFT records the schema applies to the "
    "reference_answer value itself.",
    why="The model learns whatever shape the answers have; one inconsistent field name teaches "
    "it two names.",
    example='{"total": "12.50"} where the schema says "total" is a number',
    fix="Fix the answer at the JSON path given in data.schema_path, or the schema.",
)
rule(
    "C003",
    "label-not-allowed",
    "error",
    "a label outside the configured set of allowed labels",
    what="With `labels = [...]` in config, a record whose label (sidecar label, or the answer "
    "text for classification data) is not one of them.",
    why="Typos ('Postive') and stale classes create classes of one, which the model cannot learn "
    "and which break stratified splits.",
    example='labels = ["positive", "negative"]; completion "Positive"',
    fix="Correct the label, or add it to `labels` if it is a real class.",
)


@register
class StructuredCheck(Check):
    """JSON answers (C001), their schema (C002) and allowed labels (C003)."""

    codes: ClassVar[tuple[str, ...]] = ("C001", "C002", "C003")

    def start(self, run: RunState) -> None:
        s = run.settings
        self.want_json = s.completion_format == "json" or s.completion_schema is not None
        self.validator: Any = None
        if s.completion_schema and run.is_enabled("C002"):
            self.validator = _load_validator(s.completion_schema, s.config_path)
        self.allowed = frozenset(s.labels) if s.labels is not None else None
        self.label_from = s.label_from

    def check(self, rec: RecordContext) -> None:
        if self.want_json:
            self._json(rec)
        if self.allowed is not None:
            label = record_label(rec.view, rec.meta, self.label_from, rec.file.has_sidecar)
            labels = label if isinstance(label, tuple) else (label,)
            for one in labels:
                if one is not None and one not in self.allowed:
                    rec.emit(
                        "C003",
                        f"label {one!r} is not one of the allowed labels",
                        _answer_path(rec),
                        {"label": one, "allowed": sorted(self.allowed)},
                    )

    def _json(self, rec: RecordContext) -> None:
        if rec.view.format == "rft":
            # The reference answer is JSON already: its value is checked, not a parse of it.
            if "reference_answer" in rec.obj:
                self._schema(rec, rec.obj["reference_answer"], ("reference_answer",), "reference")
            return
        text = answer_text(rec.view)
        if text is None:
            return
        path = _answer_path(rec)
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            reason = str(exc).split(": line ")[0]
            rec.emit(
                "C001",
                f"answer is not valid JSON: {reason} at position {exc.pos}",
                path,
                {"reason": reason, "position": exc.pos},
            )
            return
        self._schema(rec, value, path, "answer")

    def _schema(
        self, rec: RecordContext, value: Any, path: tuple[str | int, ...] | None, what: str
    ) -> None:
        if self.validator is None:
            return
        error = next(iter(sorted(self.validator.iter_errors(value), key=lambda e: e.path)), None)
        if error is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
            rec.emit(
                "C002",
                f"{what} fails the completion schema at ${where}: {error.message}",
                path,
                {"schema_path": f"${where}", "reason": error.message[:300]},
            )


def _answer_path(rec: RecordContext) -> tuple[str | int, ...] | None:
    answer = rec.view.segments[rec.view.split :]
    return answer[0].path if answer else None


def _load_validator(schema_ref: str | dict[str, Any], config_path: Path | None) -> Any:
    """A validator for the configured schema: inline in config, or a file beside the config."""
    import jsonschema

    if isinstance(schema_ref, dict):
        schema, path = schema_ref, Path("(inline completion-schema)")
    else:
        path = Path(schema_ref)
        if not path.is_absolute() and config_path is not None:
            path = config_path.parent / path
        try:
            schema = orjson.loads(path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"completion-schema {path}: cannot read ({exc.strerror})") from None
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"completion-schema {path}: not valid JSON ({exc})") from None
        except ValueError:  # a NUL in the path
            raise ConfigError(f"completion-schema {str(path)!r}: not a usable file name") from None
    try:
        cls = jsonschema.validators.validator_for(schema)
        with warnings.catch_warnings():  # re's FutureWarnings about a pattern: not for stderr
            warnings.simplefilter("ignore")
            cls.check_schema(schema)
    except RecursionError:
        raise ConfigError(f"completion-schema {path}: nested too deeply to validate") from None
    except jsonschema.SchemaError as exc:
        raise ConfigError(
            f"completion-schema {path}: not a valid JSON Schema ({exc.message[:200]})"
        ) from None
    from fineprep.stages.check.schema_regex import safe_validator

    return safe_validator(cls, schema, f"completion-schema {path}")
