"""The common row's two lines, from byte templates made once per mapping.

Most rows of most tables map a string column to the prompt and another to the answer, with no
system prompt, media or structured answer. For such a mapping the record's JSON line is the
target format's fixed bytes with the two texts' JSON strings between them, and its sidecar line
(with no id, label or group template) the fixed null fields with the row's source: no record
dict and no :class:`~fineprep.core.model.RecordMeta`. That is about half the per-row work of
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

from fineprep.core.model import RecordMeta
from fineprep.formats.base import SCHEMA_VERSION
from fineprep.stages.convert.output import meta_line
from fineprep.stages.convert.rows import clean_json
from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.targets import Mapping, row_meta
from fineprep.stages.convert.values import RowError

#: A row's record line and sidecar line, or None: the row takes the general path.
PlainRow = Callable[[SourceRow], "tuple[bytes, bytes] | None"]

_dumps = orjson.dumps
#: What goes before, between and after the prompt's and the answer's JSON strings.
_SHAPES = {
    "conversation": (
        b'{"schemaVersion":"' + SCHEMA_VERSION.encode() + b'","messages":[{"role":"user",'
        b'"content":[{"text":',
        b'}]},{"role":"assistant","content":[{"text":',
        b"}]}]}\n",
    ),
    "prompt-completion": (b'{"prompt":', b',"completion":', b"}\n"),
    "claude-messages": (
        b'{"messages":[{"role":"user","content":',
        b'},{"role":"assistant","content":',
        b"}]}\n",
    ),
}
_NULL_META = b'{"id":null,"label":null,"group":null,"source":'


def plain_rows(mapping: Mapping) -> PlainRow | None:
    """The fast builder for ``mapping``, or None when its records need the general path."""
    shape = _SHAPES.get(mapping.target)
    prompt, completion = mapping.prompt, mapping.completion
    if (
        shape is None
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
    before, between, after = shape
    prompt_field, completion_field = prompt.source, completion.source
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
        if not clean_json(line):  # the fixed bytes hold no control character
            return None
        if plain_meta:
            return line, b"".join((_NULL_META, _dumps(row.source), b"}\n"))
        try:
            rid, label, group = row_meta(mapping, row)
        except RowError:
            return None  # the general path rejects the row, with this reason
        return line, meta_line(RecordMeta(rid, label, group, row.source, {}))

    return build
