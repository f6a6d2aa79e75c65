"""Values as they go into records: null handling, canonical JSON, and text of plain values.

Shared by the templates (:mod:`.templates`) and the record builders, so that a null, a NaN or
an object is written the same way whichever path produced it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson
from jinja2.runtime import Undefined

from fineprep.core import jsonexact


class RowError(Exception):
    """A row that cannot become a record; the message is the reject reason."""


#: How the template being rendered writes a null (``--null-as``); None: a null rejects the row.
_NULL_AS: ContextVar[str | None] = ContextVar("null_as", default=None)


@contextmanager
def nulls_written_as(text: str | None) -> Iterator[None]:
    """While rendering one template: how a null prints (None: it rejects the row)."""
    token = _NULL_AS.set(text)
    try:
        yield
    finally:
        _NULL_AS.reset(token)


def null_reason(name: str) -> str:
    return (
        f"field {name!r} is null; say how to write it: {{{{ {name} | default('...') }}}} "
        "in the template, or --null-as TEXT"
    )


def is_null(value: Any) -> bool:
    """``None`` or a float NaN (what tables use for a missing cell)."""
    return value is None or (type(value) is float and math.isnan(value))


class NullField(Undefined):
    """A field whose value is null: falsy and undefined to ``default`` and ``is defined``, and
    an error naming the field when printed (or ``--null-as`` text)."""

    __slots__ = ()

    def __str__(self) -> str:
        text = _NULL_AS.get()
        if text is None:
            raise RowError(null_reason(str(self._undefined_name)))
        return text

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        """Using a null (``{{ note.upper() }}``, ``{{ total + 1 }}``) names the field too."""
        raise RowError(null_reason(str(self._undefined_name)))

    # Undefined binds these to its own failure; a null's failure names the field instead.
    __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail_with_undefined_error
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _fail_with_undefined_error
    __pos__ = __neg__ = __call__ = __getitem__ = _fail_with_undefined_error
    __lt__ = __le__ = __gt__ = __ge__ = __int__ = __float__ = _fail_with_undefined_error
    __complex__ = __pow__ = __rpow__ = _fail_with_undefined_error


def null_safe(name: str, value: Any) -> Any:
    return NullField(name=name) if is_null(value) else value


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces: the same object always gives the same text."""
    try:
        text = jsonexact.dumps(
            value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
        )
        jsonexact.loads(text)  # what is written must parse back
    except (TypeError, ValueError) as exc:  # orjson's errors are both
        raise RowError(f"value cannot be written as JSON ({exc})") from None
    return text.decode()


def finalize(value: Any) -> Any:
    """What a template prints, as :func:`to_text` writes a whole field: objects and lists as
    canonical JSON, booleans as ``true``/``false``, UTF-8 bytes as text (Jinja would print
    Python's ``{'a': None}``, ``True``, ``b'...'``). A null reached through a loop or a list
    (not a named field) is still never 'None'."""
    if type(value) is str or isinstance(value, Undefined):
        return value  # the common case; a named null's own print names its field
    if is_null(value):
        text = _NULL_AS.get()
        if text is None:
            raise RowError("the template printed a null value (an item of a list or object)")
        return text
    if isinstance(value, float) and not math.isfinite(value):
        raise RowError(f"the template printed {value} (not a usable value)")
    return to_text(value, "template")


def to_text(value: Any, name: str) -> str:
    """The record text for a value: strings as they are, objects as canonical JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise RowError(f"template {name!r} gave {value} (not a usable value)")
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise RowError(f"template {name!r} gave binary data that is not UTF-8") from None
    if isinstance(value, (dict, list, tuple)):
        return canonical_json(value)
    return str(value)
