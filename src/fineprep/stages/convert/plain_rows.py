"""The common row's two lines, from byte templates made once per mapping.

Most rows of most tables map a string column to the prompt and another to the answer, with no
system prompt, media or structured answer. For such a mapping the record's JSON line is the
target format's fixed bytes with the two texts' JSON strings between them, and its sidecar line
(with no id, label or group template) the fixed null fields with the row's source; both are
cut from lines the general path builds for placeholder texts, once per mapping. Per row: no
record dict and no :class:`~fineprep.core.model.RecordMeta`. That is about half the per-row work of
:func:`~fineprep.stages.convert.rows.convert_row` (the part of ``convert`` that is not
reading).

Anything else about a row (a column that is not a string, an empty or blank text, a control
character, page images, extra sidecar fields) gives None, and the row takes ``convert_row``,
which decides, rejects and reports it exactly as before: the bytes are the same either way
(tested row by row against ``convert_row`` for every target this builds).
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from fineprep.core import jsonexact
from fineprep.core.model import RecordMeta
from fineprep.stages.convert.output import meta_line
from fineprep.stages.convert.rows import clean_json
from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.targets import Mapping, build_record, row_meta
from fineprep.stages.convert.values import RowError

#: A row's record line and sidecar line, or None: the row takes the general path.
PlainRow = Callable[[SourceRow], "tuple[bytes, bytes] | None"]

_dumps = orjson.dumps
_TARGETS = frozenset({"conversation", "prompt-completion", "claude-messages"})
#: Placeholders (private-use characters) the templates are cut at.
_PROMPT, _ANSWER, _SOURCE = "\ue000prompt\ue000", "\ue000answer\ue000", "\ue000source\ue000"


def _cut(line: bytes, *texts: str) -> tuple[bytes, ...] | None:
    """``line`` cut at each text's JSON string, in order; None unless each is there once."""
    parts: list[bytes] = []
    rest = line
    for text in texts:
        pieces = rest.split(_dumps(text))
        if len(pieces) != 2:
            return None
        parts.append(pieces[0])
        rest = pieces[1]
    return (*parts, rest)


#: The sidecar line of a row without id, label or group, around its source (the general
#: path's own writer makes it, so the two agree on every key).
_META = _cut(meta_line(RecordMeta(source=_SOURCE)), _SOURCE)


def plain_rows(mapping: Mapping) -> PlainRow | None:
    """The fast builder for ``mapping``, or None when its records need the general path."""
    prompt, completion = mapping.prompt, mapping.completion
    if (
        mapping.target not in _TARGETS
        or mapping.chat
        or prompt is None
        or completion is None
        or prompt.kind != "field"
        or completion.kind != "field"
        or mapping.system is not None
        or mapping.completion_json is not None
        or mapping.images is not None
    ):
        return None
    prompt_field, completion_field = prompt.source, completion.source
    # The record's bytes around the two texts, as the general path builds and writes them.
    probe = SourceRow({prompt_field: _PROMPT, completion_field: _ANSWER}, "")
    try:
        record = build_record(mapping, probe)
    except RowError:
        return None
    shape = _cut(jsonexact.dumps(record, option=orjson.OPT_APPEND_NEWLINE), _PROMPT, _ANSWER)
    if shape is None or _META is None:
        return None  # e.g. one column for both texts: the general path handles it
    before, between, after = shape
    meta_before, meta_after = _META
    plain_meta = mapping.id is None and mapping.label is None and mapping.group is None

    def build(row: SourceRow) -> tuple[bytes, bytes] | None:
        fields = row.fields
        text = fields.get(prompt_field)
        answer = fields.get(completion_field)
        # As Template.text: a string column is used as it is, and empty text is an error.
        if type(text) is not str or type(answer) is not str or row.images or row.extra:
            return None
        if not text or not answer or text.isspace() or answer.isspace():
            return None
        line = b"".join((before, _dumps(text), between, _dumps(answer), after))
        if not clean_json(line):
            return None
        if plain_meta:
            return line, b"".join((meta_before, _dumps(row.source), meta_after))
        try:
            rid, label, group = row_meta(mapping, row)
        except RowError:
            return None  # the general path rejects the row, with this reason
        return line, meta_line(RecordMeta(rid, label, group, row.source, {}))

    return build
