"""Mapping templates: Jinja2 in a sandbox, strict about missing fields.

A template is written by the person preparing data, but it runs over rows written by anyone,
so it runs in ``ImmutableSandboxedEnvironment`` (no attribute tricks, no mutation). Undefined
fields are errors, never empty strings: a silently empty prompt would train the model on
nothing. A missing field rejects that row with a reason naming the field and the fields the
row has; a syntax error is a configuration error before any row is read.

Three shapes of template, decided once when compiled:

* a bare field path (``text``, ``meta.author.name``: letters, digits, ``_`` and dots, no
  spaces) is sugar for ``{{ text }}``; it is looked up directly (an exact key first, so a
  column literally named ``a.b`` works) and keeps the field's type;
* a single expression ``{{ ... }}`` is evaluated natively, so ``{{ answer }}`` holding an
  object stays an object (and is then written as canonical JSON);
* anything else renders as text, so text without markup that is not a field path is
  literal (``--system "You classify news."``; a literal single word needs
  ``{{ "word" }}``). Columns whose names are not identifiers are reached through ``row``:
  ``{{ row["Unnamed: 0"] }}`` (a source field named ``row`` takes precedence).

A ``null`` (or NaN) value is never written as the text ``None``: printing one rejects the row
with a reason naming the field, unless the template says how to render it. Inside a template a
null field behaves as undefined, so ``{{ note | default("none given") }}``, ``{% if note %}``
and ``note is defined`` work; ``--null-as TEXT`` renders every null as ``TEXT`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateRuntimeError, TemplateSyntaxError
from jinja2.exceptions import UndefinedError
from jinja2.runtime import Undefined
from jinja2.utils import missing

from fineprep.core.errors import ConfigError
from fineprep.stages.convert.sandbox import BoundedSandbox, Budget, install_limits, run_bounded
from fineprep.stages.convert.values import (
    NullField,
    RowError,
    canonical_json,
    finalize,
    is_null,
    null_reason,
    null_safe,
    nulls_written_as,
    to_text,
)

__all__ = ["MissingField", "RowError", "Template", "canonical_json", "compile_template", "to_text"]

_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_SINGLE_EXPR = re.compile(r"\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}", re.S)
_MARKUP = ("{{", "{%", "{#")
#: Statements that can repeat work (loops, macros and their calls): rendered under the budget.
_LOOPS = re.compile(r"\{%[-+]?\s*(for|macro|call|filter|include|import|from|extends)\b")
_MAX_LISTED = 20


class MissingField(RowError, UndefinedError):
    """A template used a field the row does not have."""


class _FieldUndefined(StrictUndefined):
    """StrictUndefined whose error says which field, and of what, was missing."""

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: str | None = None,
        exc: type[TemplateRuntimeError] = MissingField,
    ) -> None:
        # A hint is the sandbox refusing an attribute: that is a template failure, not a
        # missing field.
        super().__init__(hint, obj, name, UndefinedError if hint else MissingField)

    @property
    def _undefined_message(self) -> str:
        name = self._undefined_name
        obj = self._undefined_obj
        if self._undefined_hint:
            return self._undefined_hint
        if obj is missing:
            return f"field {name!r}"
        if isinstance(obj, dict):
            return f"field {name!r} (that object has: {_listed(obj)})"
        return f"{name!r} of a {type(obj).__name__} value"


def _env() -> BoundedSandbox:
    env = BoundedSandbox(
        undefined=_FieldUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=finalize,
    )
    install_limits(env)
    env.filters["json"] = canonical_json
    return env


_ENV = _env()


@dataclass(frozen=True)
class Template:
    """A compiled mapping template; ``render`` returns the value (not always a string)."""

    name: str
    source: str
    kind: str  # "field" | "expression" | "text"
    _fn: Callable[[dict[str, Any]], Any]
    #: How a null is written (``--null-as``); None: a null rejects the row.
    null_as: str | None = field(default=None, compare=False)
    #: The work one row's rendering may do (field lookups need no budget).
    budget: Budget = field(default=Budget(), compare=False)

    def render(self, fields: dict[str, Any]) -> Any:
        try:
            with nulls_written_as(self.null_as):
                if self.kind == "field" or not _LOOPS.search(self.source):
                    # No loops, macros or calls: the size caps bound the work of the rest.
                    value = self._fn(fields)
                else:
                    value = run_bounded(lambda: self._fn(fields), self.budget, self.name)
                if isinstance(value, NullField):
                    return str(value)  # the --null-as text, or a RowError naming the field
                return value
        except MissingField as exc:
            raise RowError(
                f"template {self.name!r} uses undefined {exc} (fields: {_listed(fields)})"
            ) from None
        except RowError:
            raise
        except TemplateError as exc:
            raise RowError(f"template {self.name!r} failed: {exc}") from None
        except RecursionError:
            raise RowError(f"template {self.name!r} nests or recurses too deep") from None
        except Exception as exc:  # the template is the user's code: its failure is the row's
            raise RowError(f"template {self.name!r} failed: {type(exc).__name__}: {exc}") from None

    def text(self, fields: dict[str, Any], *, allow_empty: bool = False) -> str:
        """Render to the text that goes into a record (objects become canonical JSON)."""
        # A plain column that holds a string (most rows of most tables): no rendering needed.
        out = fields.get(self.source) if self.kind == "field" else None
        if type(out) is not str:
            value = self.render(fields)
            if is_null(value):
                if self.null_as is not None:
                    value = self.null_as
                elif self.kind == "field":
                    raise RowError(null_reason(self.source))
                else:
                    raise RowError(f"template {self.name!r} gave null")
            out = to_text(value, self.name)
        if not allow_empty and (not out or out.isspace()):
            raise RowError(f"template {self.name!r} rendered empty text")
        return out


def compile_template(
    name: str, source: str, null_as: str | None = None, budget: Budget | None = None
) -> Template:
    """Compile one mapping template; a syntax error is a :class:`ConfigError`."""
    work = budget or Budget()
    if not isinstance(source, str):
        raise ConfigError(f"template {name!r} must be a string, got {source!r}")
    if not any(m in source for m in _MARKUP) and _FIELD_PATH.fullmatch(source):
        return Template(name, source, "field", lambda fields: lookup(fields, source), null_as, work)
    single = _SINGLE_EXPR.fullmatch(source)
    try:
        if single and "{%" not in source:
            expr = _ENV.compile_expression(single.group("expr"), undefined_to_none=False)
            return Template(
                name, source, "expression", lambda f: _native(expr(**_context(f))), null_as, work
            )
        template = _ENV.from_string(source)
    except TemplateSyntaxError as exc:
        raise ConfigError(
            f"template {name!r}: syntax error on line {exc.lineno}: {exc.message}",
            hint="fix the template (Jinja2 syntax: {{ field }})",
        ) from None
    except (RecursionError, MemoryError):
        raise ConfigError(
            f"template {name!r}: nested too deeply to compile", hint="simplify the template"
        ) from None
    return Template(name, source, "text", lambda f: template.render(_context(f)), null_as, work)


def field_getter(name: str, path: str) -> Template:
    """A plain field reference (``--label``, ``--group``, ``--id``, ``--images``)."""
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{name} must name a field, got {path!r}")
    return Template(name, path, "field", lambda fields: lookup(fields, path))


def lookup(fields: dict[str, Any], path: str) -> Any:
    """``a.b.c`` in nested objects (an exact key ``a.b.c`` wins); list parts may be indices."""
    if path in fields:
        return fields[path]
    value: Any = fields
    walked: list[str] = []
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            where = ".".join(walked)
            if not walked:
                raise MissingField(f"field {part!r}")
            keys = _listed(value) if isinstance(value, dict) else type(value).__name__
            raise MissingField(f"field {path!r} ({where!r} has: {keys})")
        walked.append(part)
    return value


def _context(fields: dict[str, Any]) -> dict[str, Any]:
    """The template's variables: the row's fields (nulls as :class:`NullField`) and ``row``."""
    out = {k: null_safe(k, v) for k, v in fields.items()}
    out.setdefault("row", fields)
    return out


def _native(value: Any) -> Any:
    if isinstance(value, Undefined) and not isinstance(value, NullField):
        str(value)  # raises MissingField through _FieldUndefined
    return value


def _listed(obj: dict[str, Any]) -> str:
    keys = [str(k) for k in obj]
    shown = ", ".join(keys[:_MAX_LISTED])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > _MAX_LISTED else "")
