"""P: can the file be read as JSONL at all? (Emitted by the engine's reader.)

These cannot be ignored: a line that does not parse cannot be checked for anything else, and
Bedrock fails the whole job on it ("Unable to parse Amazon S3 file ... Data files must conform
to JSONL format").
"""

from __future__ import annotations

from fineprep.core.rules import rule

rule(
    "P001",
    "invalid-json",
    "error",
    "line is not valid JSON",
    what="A line that no JSON parser accepts: truncated objects, trailing commas, single "
    "quotes, NaN/Infinity, unescaped control characters, nesting deeper than 1024 levels.",
    why="Bedrock parses every line before training and fails the whole job on the first one "
    "it cannot read, after the upload and queueing time is already spent.",
    example='{"prompt": "Hi", "completion": "Hello",}   <- trailing comma',
    fix="Open the file at the reported line and column and repair the JSON, or regenerate the "
    "file with a JSON library (json.dumps / orjson) instead of string formatting.",
    mandatory=True,
)
rule(
    "P002",
    "not-an-object",
    "error",
    "line is JSON but not an object",
    what="A line that parses as JSON but is an array, string, number or null.",
    why="Every Bedrock format is one JSON object per line; anything else is rejected.",
    example='["Hi", "Hello"]',
    fix="Wrap the values in an object with the keys of your format, e.g. "
    '{"prompt": "Hi", "completion": "Hello"}.',
    mandatory=True,
)
rule(
    "P003",
    "invalid-utf8",
    "error",
    "bytes that are not UTF-8",
    what="A line containing bytes that are not valid UTF-8 (typically text saved as cp1252 or "
    "latin-1), or an escaped lone surrogate such as \\ud800 that cannot be encoded as UTF-8.",
    why="Bedrock reads the file as UTF-8; invalid bytes fail parsing or turn into garbage "
    "characters that the model then learns.",
    example='{"prompt": "caf\\xe9"}   <- the byte 0xE9 is latin-1 for "é"',
    fix="Re-encode the source as UTF-8 (for example `iconv -f cp1252 -t utf-8`), or convert it "
    "with `fineprep convert`, which detects legacy encodings. The finding gives the byte offset.",
    mandatory=True,
)
rule(
    "P004",
    "bom",
    "error",
    "file starts with a UTF-8 byte-order mark",
    what="The file begins with the three bytes EF BB BF (a BOM), which some editors and Excel "
    "add when saving UTF-8.",
    why="A BOM makes the first line invalid JSON for strict parsers, so the first record (or "
    "the whole file) is rejected.",
    example='\\ufeff{"prompt": "Hi", "completion": "Hello"}',
    fix="Save the file as UTF-8 without BOM, or run `fineprep check --fix` and use the "
    ".fixed.jsonl file it writes.",
    fixable=True,
    mandatory=True,
)
rule(
    "P005",
    "blank-line",
    "error",
    "empty or whitespace-only line",
    what="A line with nothing (or only spaces) on it, including a blank line at the end of the "
    "file (a final newline after the last record is fine).",
    why="Bedrock's troubleshooting guide names empty lines as a cause of parse failures.",
    example='{"prompt": "a", "completion": "b"}\\n\\n{"prompt": "c", "completion": "d"}',
    fix="Delete the empty lines, or run `fineprep check --fix`.",
    fixable=True,
    mandatory=True,
)
rule(
    "P006",
    "not-jsonl",
    "error",
    "a JSON array or pretty-printed JSON document instead of JSONL",
    what="The file is one JSON document (an array of records, or an object spread over many "
    "lines) rather than one object per line.",
    why="Bedrock reads JSON Lines only; a JSON array or indented document fails on its first line.",
    example='[\\n  {"prompt": "a", "completion": "b"}\\n]',
    fix="Convert it: `jq -c '.[]' data.json > data.jsonl` for an array, `jq -c . data.json` for "
    "a single object.",
    mandatory=True,
)
rule(
    "P007",
    "line-too-long",
    "error",
    "a line longer than the maximum line size (max-line-bytes, default 64 MiB)",
    what="A line longer than max-line-bytes (config key, or --max-line-bytes; default 64 MiB). "
    "fineprep reads past it to the next newline without holding it, so the rest of the file is "
    "still checked; a file with no newline at all is one such line.",
    why="No Bedrock model takes a record anywhere near this size (token limits are tens of "
    "thousands of tokens); such a line is a file concatenated without newlines, a binary file "
    "or a dump, and reading it whole would exhaust memory.",
    example="a 200 MB export written without newlines between records",
    fix="Split the file into one record per line (jq -c '.[]'), or raise max-line-bytes if the "
    "line really is a record.",
    mandatory=True,
)
