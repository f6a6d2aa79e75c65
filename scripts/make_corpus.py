"""Generate the bad-input corpus in tests/corpus/ from the valid fixtures, deterministically.

Every case is a small file that ``fineprep check`` and ``fineprep convert`` must survive: they
may report findings (exit 0/1) or refuse the input with one line naming it (exit 2), but never
print a traceback, hang or crash. Cases come from two places: seeded mutations of the valid
fixtures (truncation, byte flips, encodings, line endings, injected bytes) and hand-written
hostile shapes (wrong JSON types at every path, duplicate keys, NaN, binary files under data
extensions, odd Parquet schemas, Textract responses with missing or null fields).

``tests/corpus/manifest.json`` lists each case with the convert arguments of the fixture it
came from, so a test can run both commands over it. The very large cases (a 50 MB line,
100k-deep nesting) are not committed: :func:`write_big_cases` makes them in a temporary folder.

``tests/corpus/hostile.json`` holds the hostile runs of ``scripts/hostile_corpus.py`` (templates,
patterns, injection strings, special files, long lines, forged caches, configs).

Usage: ``python scripts/make_corpus.py [--out tests/corpus]`` (rerunning gives the same bytes).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import io
import json
import random
import shutil
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
DEFAULT_OUT = ROOT / "tests" / "corpus"
TAB = "convert/tabular/"
TEXTRACT = ["--source", "textract", "--to", "prompt-completion"]
TEXTRACT += ["--prompt", "document.text", "--completion", "a scanned document"]
IDP = ["--source", "idp", "--to", "prompt-completion", "--prompt", "document.text"]
IDP += ["--completion", "fields_json", "-S", "textract_dir={FIXTURES}/convert/idp/textract"]
CONV_JSONL = ["--to", "prompt-completion", "--prompt", "{{ messages[0].content[0].text }}"]
CONV_JSONL += ["--completion", "{{ messages[1].content[0].text }}"]
PC = ["--to", "prompt-completion"]

#: origin (relative to fixtures/) -> convert arguments that convert the valid original.
ORIGINS: dict[str, list[str]] = {
    "demo/train.jsonl": CONV_JSONL,
    "demo/validation.jsonl": CONV_JSONL,
    "demo/labelled-bad.jsonl": CONV_JSONL,
    TAB + "reviews.csv": [
        "-m",
        "titan-text-express",
        "--prompt",
        "Review: {{ title }}\n{{ body }}",
        "--completion",
        "label",
        "--label",
        "label",
    ],
    TAB + "reviews-bom.csv": [
        "-m",
        "claude-3-haiku",
        "--prompt",
        "{{ title }}: {{ body }}",
        "--completion",
        "label",
        "--system",
        "You label reviews.",
    ],
    TAB + "legacy-cp1252.csv": ["-m", "nova-micro", "--prompt", "body", "--completion", "label"],
    TAB + "semicolon.csv": [*PC, "--prompt", "question", "--completion", "answer"],
    TAB + "tabbed.tsv": ["-m", "titan-text-lite"],
    TAB + "pipe.csv": ["-m", "titan-text-lite"],
    TAB + "ragged.csv": [*PC, "--prompt", "Age of {{ name }}?", "--completion", "age"],
    TAB + "headers.csv": [*PC, "--prompt", "text", "--completion", "label", "--id", "column_1"],
    TAB + "missing-field.csv": [*PC, "--prompt", "body", "--completion", "label"],
    TAB + "images.csv": [
        "-m",
        "nova-lite",
        "--prompt",
        "question",
        "--completion",
        "answer",
        "--images",
        "uri",
        "--bucket-owner",
        "111122223333",
    ],
    TAB + "nested.jsonl": [
        "-m",
        "claude-3-haiku",
        "--prompt",
        "{{ q }} by {{ meta.author.name }}",
        "--completion",
        "a",
        "--group",
        "meta.lang",
    ],
    TAB + "docs.jsonl": [
        "-m",
        "titan-text-express",
        "--to",
        "pretraining",
        "--id",
        "id",
        "--chunk-tokens",
        "300",
        "--overlap",
        "30",
    ],
    TAB + "structured.json": [*PC, "--prompt", "doc", "--completion-json", "answer"],
    TAB + "frictionless/bom.csv": [*PC, "--prompt", "Say {{ name }}", "--completion", "id"],
    TAB + "frictionless/defective-rows.csv": [
        *PC,
        "--prompt",
        "Say {{ name }}",
        "--completion",
        "id",
    ],
    TAB + "classlabel.parquet": ["-m", "nova-micro", "--prompt", "text", "--completion", "label"],
    TAB + "pairs.arrow": ["-m", "llama3-1-8b", "--id", "id"],
    "convert/textract/analyze_document.json": TEXTRACT,
    "convert/textract/detect_text.json": TEXTRACT,
    "convert/textract/expense.json": TEXTRACT,
    "convert/textract/analyze_id.json": TEXTRACT,
    "convert/textract/nulls.json": TEXTRACT,
    "convert/textract/table_merged.json": TEXTRACT,
    "convert/textract/async/part-1.json": TEXTRACT,
    "convert/idp/results.jsonl": IDP,
    "convert/idp/notes.json": IDP,
}
BINARY = {TAB + "classlabel.parquet", TAB + "pairs.arrow"}

CONVERSATION: dict[str, Any] = {
    "schemaVersion": "bedrock-conversation-2024",
    "system": [{"text": "You are brief."}],
    "messages": [
        {
            "role": "user",
            "content": [
                {
                    "image": {
                        "format": "png",
                        "source": {
                            "s3Location": {"uri": "s3://b1/x.png", "bucketOwner": "111122223333"}
                        },
                    }
                },
                {"text": "What is shown?"},
            ],
        },
        {"role": "assistant", "content": [{"text": "A cat."}]},
    ],
}
TEMPLATES: dict[str, dict[str, Any]] = {
    "conversation": CONVERSATION,
    "prompt-completion": {"prompt": "Classify: late parcel", "completion": "negative"},
    "claude-messages": {
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
    },
    "pretraining": {"input": "Unlabelled domain text."},
    "image-caption": {"image-ref": "s3://bucket/images/cat.png", "caption": "an orange cat"},
}
#: format -> convert arguments that turn a record of that format (as a source row) into a record.
FORMAT_CONVERT: dict[str, list[str]] = {
    "conversation": CONV_JSONL,
    "prompt-completion": PC,
    "claude-messages": [
        "--to",
        "claude-messages",
        "--prompt",
        "{{ messages[0].content }}",
        "--system",
        "system",
        "--completion",
        "{{ messages[1].content }}",
    ],
    "pretraining": ["--to", "pretraining", "-m", "titan-text-express", "--input", "input"],
    "image-caption": [*PC, "--prompt", "caption", "--completion", '{{ row["image-ref"] }}'],
}
REPLACEMENTS: list[Any] = [None, True, 0, -1, 1.5, 18446744073709551615, "", [], {}, [{"x": 1}]]
#: Raw JSON text put where a string belongs (not all of it is valid JSON).
LITERALS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "123456789012345678901234567890",
    "-0",
    "1E+2",
    "true",
    "null",
    r'"\ud800"',
    r'"\udfff"',
    r'"\udc00\ud800"',
    r'"x\ud800y"',
    r'"\u0000"',
    r'"\u001b[31mred\u001b[0m"',
    r'"a\u2028b\u2029c"',
    r'"\ufeff"',
    r'"\ufffd\ufffd"',
    '"Ã©tÃ© CafÃ©"',
    '"tab\there"',
    r'"\x41"',
    "'single'",
    '"unterminated',
    '{"a": 1}',
    "[1, 2",
    '"\u202eevil\u202c"',
    '"e\u0301\u0301\u0301"',
    '"\U0001f600\U0001f4a9"',
    r'"\\u0000"',
]
BAD_BYTES = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3\x28",
    b"\xe2\x82",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\x00",
    b"\x01\x02\x1b",
    b"\x7f",
    b"\x80\x80\x80",
    b"\xf0\x9f\x98",
]


class Corpus:
    """Collects cases: writes each file and remembers its manifest entry."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.cases: list[dict[str, Any]] = []

    def add(self, family: str, name: str, data: bytes, origin: str, **extra: Any) -> Path:
        path = self.out / family / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        convert = extra.pop("convert", None)
        if convert is None:
            convert = ORIGINS.get(origin, ["--to", "prompt-completion"])
        entry = {"id": f"{family}/{name}", "file": f"{family}/{name}", "origin": origin}
        self.cases.append({**entry, "convert": convert, **extra})
        return path


def _name(origin: str, tag: str) -> str:
    """``convert/tabular/reviews.csv`` + ``07`` -> ``reviews-07.csv`` (extension kept)."""
    p = Path(origin)
    stem = p.stem if p.parent.name not in ("async", "frictionless") else f"{p.parent.name}-{p.stem}"
    return f"{stem}-{tag}{p.suffix}"


def origins() -> Iterator[tuple[str, bytes]]:
    for origin in ORIGINS:
        yield origin, (FIXTURES / origin).read_bytes()


def byte_mutations(corpus: Corpus) -> None:
    """Truncation at random bytes and random byte flips of every fixture."""
    rng = random.Random("truncate-flip")
    for origin, data in origins():
        for k in range(6):
            cut = rng.randrange(1, len(data))
            corpus.add("truncate", _name(origin, f"{k:02d}"), data[:cut], origin, cut=cut)
        for k in range(5):
            buf = bytearray(data)
            for _ in range(rng.choice([1, 2, 4, 8, 32])):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            corpus.add("flip", _name(origin, f"{k:02d}"), bytes(buf), origin)


def _string_starts(data: bytes) -> list[int]:
    """Offsets just inside string values (after ``": "``, or the second field of a CSV row)."""
    spots = [i + 3 for i in range(len(data) - 3) if data[i : i + 3] == b'": ' and data[i + 3] == 34]
    spots = [i + 1 for i in spots]
    if not spots:
        spots = [i + 1 for i, b in enumerate(data) if b in b",;|\t" and i + 1 < len(data)]
    return spots or [len(data) // 2]


def injections(corpus: Corpus) -> None:
    """Invalid UTF-8, NUL and control bytes inserted inside text values of text fixtures."""
    rng = random.Random("inject")
    text_origins = [(o, d) for o, d in origins() if o not in BINARY]
    for k, bad in enumerate(BAD_BYTES):
        for origin, data in rng.sample(text_origins, 4):
            spot = rng.choice(_string_starts(data))
            mutated = data[:spot] + bad + data[spot:]
            corpus.add("bytes", _name(origin, f"{k:02d}"), mutated, origin, inserted=bad.hex())


def encodings(corpus: Corpus) -> None:
    """BOMs, UTF-16/32, cp1252/latin-1 mixes and every kind of line ending."""
    variants: dict[str, Callable[[bytes], bytes]] = {
        "bom": lambda d: b"\xef\xbb\xbf" + d,
        "bom2": lambda d: b"\xef\xbb\xbf\xef\xbb\xbf" + d,
        "bom-every-line": lambda d: b"".join(b"\xef\xbb\xbf" + x for x in d.splitlines(True)),
        "utf16le": lambda d: b"\xff\xfe" + _text(d).encode("utf-16-le"),
        "utf16be-nobom": lambda d: _text(d).encode("utf-16-be"),
        "utf32": lambda d: _text(d).encode("utf-32"),
        "latin1": lambda d: _text(d).encode("latin-1", "replace"),
        "mojibake": lambda d: _text(d).encode("utf-8").decode("latin-1").encode("utf-8"),
        "mixed-cp1252": _mixed_cp1252,
        "crlf": lambda d: d.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
        "cr": lambda d: d.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),
        "lfcr": lambda d: d.replace(b"\n", b"\n\r"),
        "mixed-eol": lambda d: b"".join(
            x.rstrip(b"\r\n") + (b"\r\n", b"\n", b"\r")[i % 3] for i, x in enumerate(d.splitlines())
        ),
        "no-final-eol": lambda d: d.rstrip(b"\r\n"),
        "blank-lines": lambda d: d.replace(b"\n", b"\n\n \t\n"),
        "formfeed": lambda d: d.replace(b"\n", b"\n\x0c\n"),
        "nul-lines": lambda d: d.replace(b"\n", b"\n\x00\n"),
    }
    for origin, data in origins():
        if origin in BINARY or origin.startswith("convert/textract/"):
            continue
        for tag, fn in variants.items():
            corpus.add("encoding", _name(origin, tag), fn(data), origin)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").lstrip("\ufeff")


def _mixed_cp1252(data: bytes) -> bytes:
    lines = _text(data).replace("Great", "Grëat café ü").splitlines(True)
    codecs = ["utf-8", "cp1252", "latin-1", "utf-8"]
    return b"".join(x.encode(codecs[i % 4], "replace") for i, x in enumerate(lines))


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def _replace(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(obj)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def _lines(*records: Any) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def json_shapes(corpus: Corpus) -> None:
    """Wrong JSON types at every path of every format, raw literals, duplicate keys, nesting."""
    for fmt, template in TEMPLATES.items():
        for p_index, path in enumerate(_paths(template)):
            for v_index, value in enumerate(REPLACEMENTS):
                bad = _replace(template, path, value)
                name = f"{fmt}-p{p_index:02d}-v{v_index}.jsonl"
                data = _lines(template, bad, template)
                corpus.add("types", name, data, "demo/train.jsonl", convert=FORMAT_CONVERT[fmt])
    pc = '{"prompt": %s, "completion": "ok"}'
    conv = json.dumps(TEMPLATES["conversation"]).replace('"What is shown?"', "%s")
    for k, lit in enumerate(LITERALS):
        for fmt, shape in (("prompt-completion", pc), ("conversation", conv)):
            line = (shape % lit).encode() + b"\n"
            args = FORMAT_CONVERT[fmt]
            corpus.add("literal", f"{fmt}-{k:02d}.jsonl", line, "demo/train.jsonl", convert=args)
    dupes = [
        b'{"prompt": "a", "prompt": "b", "completion": "c"}',
        b'{"prompt": "a", "completion": "c", "completion": {"x": 1}}',
        b'{"messages": [], "messages": [{"role": "user", "content": [{"text": "x"}]}]}',
        b'{"schemaVersion": "bedrock-conversation-2024", "schemaVersion": 2, "messages": 1}',
        b'{"input": "a", "input": null}',
        b'{"": "", "": ""}',
        b'{"prompt\\u0000": "a", "completion": "b"}',
        b'{"\\ud800": "a", "completion": "b"}',
    ]
    for k, line in enumerate(dupes):
        corpus.add("dupkeys", f"dup-{k}.jsonl", line + b"\n", "demo/train.jsonl", convert=PC)
    for depth in (100, 1000, 1023, 1024, 1025, 5000):
        for k, (opener, closer) in enumerate(((b"[", b"]"), (b'{"a":', b"}"))):
            nested = opener * depth + b"1" + closer * depth
            line = b'{"prompt": ' + nested + b', "completion": "x"}\n'
            name = f"depth-{depth}-{k}.jsonl"
            corpus.add("nesting", name, line, "demo/train.jsonl", convert=PC)
    wide = {f"k{i}": i for i in range(20000)} | {"prompt": "p", "completion": "c"}
    corpus.add("nesting", "wide-object.jsonl", _lines(wide), "demo/train.jsonl", convert=PC)
    long_key = {"x" * 100000: "v", "prompt": "p", "completion": "c"}
    corpus.add("nesting", "long-key.jsonl", _lines(long_key), "demo/train.jsonl", convert=PC)


def whole_file_shapes(corpus: Corpus) -> None:
    """Empty files, JSON arrays and pretty-printed JSON, scalars, and binary data."""
    train = (FIXTURES / "demo/train.jsonl").read_bytes()
    records = [json.loads(x) for x in train.splitlines()]
    blobs: dict[str, bytes] = {
        "empty": b"",
        "newline": b"\n",
        "blank": b" \n\t\n\r\n",
        "bom-only": b"\xef\xbb\xbf",
        "null": b"null\n",
        "scalar": b"42\n",
        "string": b'"text"\n',
        "empty-array": b"[]\n",
        "empty-object": b"{}\n",
        "array-of-empty": b"[{}]\n",
        "array": json.dumps(records).encode(),
        "array-lines": b"[\n" + b",\n".join(json.dumps(r).encode() for r in records) + b"\n]\n",
        "pretty": json.dumps(records[0], indent=2).encode(),
        "pretty-many": b"\n".join(json.dumps(r, indent=1).encode() for r in records[:3]),
        "space-array": b"   \n  [" + json.dumps(records[0]).encode() + b"]",
        "open-bracket": b"[\n",
        "open-brace": b"{\n",
        "comma-lines": b"".join(json.dumps(r).encode() + b",\n" for r in records),
        "concatenated": b"".join(json.dumps(r).encode() for r in records[:3]) + b"\n",
    }
    rng = random.Random("binary")
    valid = (FIXTURES / TAB / "reviews.csv").read_bytes()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr(zipfile.ZipInfo("a.jsonl", (2020, 1, 1, 0, 0, 0)), train)
    binary: dict[str, bytes] = {
        "random": rng.randbytes(4096),
        "png": b"\x89PNG\r\n\x1a\n" + rng.randbytes(512),
        "gzip": gzip.compress(train, mtime=0),
        "zip": zipped.getvalue(),
        "elf": b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + rng.randbytes(256),
        "par1": b"PAR1" + rng.randbytes(200) + b"\x10\x00\x00\x00PAR1",
        "arrow1": b"ARROW1\x00\x00" + rng.randbytes(300) + b"ARROW1",
        "parquet-bytes": (FIXTURES / TAB / "classlabel.parquet").read_bytes(),
        "arrow-bytes": (FIXTURES / TAB / "pairs.arrow").read_bytes(),
        "csv-bytes": valid,
        "zeros": b"\x00" * 2048,
    }
    for ext, origin in ((".jsonl", "demo/train.jsonl"), (".json", TAB + "structured.json"),
                        (".csv", TAB + "reviews.csv"), (".parquet", TAB + "classlabel.parquet"),
                        (".arrow", TAB + "pairs.arrow")):  # fmt: skip
        for tag, data in (blobs | binary).items():
            if ext in (".parquet", ".arrow") and tag not in binary and tag != "empty":
                continue
            corpus.add("whole", f"{tag}{ext}", data, origin)


def csv_shapes(corpus: Corpus) -> None:
    """Hand-written CSVs: ragged rows, quoting, headers, wide and long fields, mixed bytes."""
    origin = TAB + "reviews.csv"
    head = b"title,body,label\n"
    cases = {
        "fewer-cols": head + b"a,b\nc\n,,\n",
        "more-cols": head + b"a,b,c,d,e,f\nx,y,z\n",
        "unclosed-quote": head + b'a,"never closed,label\nb,c,d\n',
        "quote-mid": head + b'a,b"c"d,e\n',
        "dup-header": b"title,title,label\na,b,c\n",
        "empty-header": b",,\na,b,c\n",
        "header-only": head,
        "header-no-eol": head.rstrip(),
        "no-header-match": b"x,y,z\n1,2,3\n",
        "one-col": b"title\na\nb\n",
        "wide": b",".join(b"c%d" % i for i in range(3000)) + b"\n" + b",".join([b"v"] * 3000),
        "long-field": head + b"a," + b"word " * 200000 + b",pos\n",
        "nul-cell": head + b"a,b\x00c,pos\n",
        "excel-sep": b"sep=;\n" + head.replace(b",", b";") + b"a;b;c\n",
        "many-blank-rows": head + b"\n" * 500 + b"a,b,c\n",
        "all-quotes": head + b'"""","""""",""\n',
        "newline-in-header": b'"ti\ntle",body,label\na,b,c\n',
        "cr-in-cell": head + b'a,"b\rc",pos\n',
        "tabs-and-commas": b"title\tbody,label\na\tb,c\n",
        "only-delimiters": b",,,\n,,,\n",
        "utf8-header-cp1252-body": "tïtle,body,label\n".encode() + "café,ü,x\n".encode("cp1252"),
        "emoji-header": "😀,body,label\n".encode() + b"a,b,c\n",
        "bidi": head + "\u202egnp.exe,b,c\n".encode(),
        "html": head + b"<script>alert(1)</script>,{{ 7*7 }},{% raw %}\n",
    }
    for tag, data in cases.items():
        corpus.add("csv", f"{tag}.csv", data, origin)


def columnar(corpus: Corpus) -> None:
    """Parquet and Arrow files with schemas the mapping does not expect (written by pyarrow)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 3
    tables: dict[str, Any] = {
        "int-cols": pa.table({"text": [1, 2, 3], "label": [4, 5, 6]}),
        "float-nan": pa.table({"text": [float("nan"), float("inf"), -0.0], "label": [1.5] * n}),
        "list-col": pa.table({"text": [["a"], [], None], "label": [0, 1, 2]}),
        "struct-col": pa.table({"text": [{"a": 1}, {"a": None}, None], "label": [0, 1, 2]}),
        "map-col": pa.table(
            {
                "text": pa.array([[("k", 1)], [], None], pa.map_(pa.string(), pa.int64())),
                "label": [0, 1, 2],
            }
        ),
        "binary-col": pa.table({"text": [b"\xff\xfe", b"ok", None], "label": [0, 1, 2]}),
        "large-string": pa.table(
            {"text": pa.array(["a", "b", "c"], pa.large_string()), "label": [0, 1, 2]}
        ),
        "dictionary": pa.table(
            {"text": pa.array(["a", "b", "a"]).dictionary_encode(), "label": [0, 1, 2]}
        ),
        "timestamps": pa.table(
            {
                "text": pa.array([0, 10**15, None], pa.timestamp("us", "UTC")),
                "label": pa.array([1, 2, 3], pa.date32()),
            }
        ),
        "decimal": pa.table(
            {
                "text": pa.array([1, 2, 3], pa.decimal128(38, 10)),
                "label": pa.array([1, 2, 3], pa.duration("s")),
            }
        ),
        "null-type": pa.table({"text": pa.nulls(n), "label": pa.nulls(n)}),
        "all-null-strings": pa.table({"text": pa.array([None] * n, pa.string()), "label": [0] * n}),
        "bool": pa.table({"text": [True, False, None], "label": [True, True, False]}),
        "nested": pa.table({"text": [[{"a": [1]}], [], None], "label": ["x", "y", "z"]}),
        "fixed-binary": pa.table(
            {"text": pa.array([b"ab", b"cd", b"\x00\x00"], pa.binary(2)), "label": [0, 1, 2]}
        ),
        "zero-rows": pa.table(
            {"text": pa.array([], pa.string()), "label": pa.array([], pa.int64())}
        ),
        "no-columns": pa.table({}),
        "missing-text": pa.table({"other": ["a", "b", "c"]}),
        "dup-names": pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], ["text", "text"]),
        "odd-names": pa.table({"": ["a"], "a.b": ["b"], "text": ["t"], "label": [1]}),
        "huge-int-label": pa.table(
            {"text": ["a", "b", "c"], "label": pa.array([2**63 - 1, -(2**63), 0], pa.int64())}
        ),
        "uint64-label": pa.table(
            {"text": ["a", "b"], "label": pa.array([2**64 - 1, 0], pa.uint64())}
        ),
    }
    hf_bad = {
        "hf-not-json": b"{not json",
        "hf-names-short": json.dumps(
            {"info": {"features": {"label": {"_type": "ClassLabel", "names": ["only"]}}}}
        ).encode(),
        "hf-names-not-list": json.dumps(
            {"info": {"features": {"label": {"_type": "ClassLabel", "names": 7}}}}
        ).encode(),
        "hf-list": b"[1, 2, 3]",
        "hf-null": b"null",
        "hf-features-list": json.dumps({"info": {"features": [{"label": 1}]}}).encode(),
    }
    base = pa.table({"text": ["a", "b", "c"], "label": pa.array([0, 5, -1], pa.int64())})
    for tag, value in hf_bad.items():
        tables[tag] = base.replace_schema_metadata({b"huggingface": value})
    for tag, table in tables.items():
        buf = io.BytesIO()
        pq.write_table(table, buf)
        corpus.add("parquet", f"{tag}.parquet", buf.getvalue(), TAB + "classlabel.parquet")
        sink = io.BytesIO()
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        corpus.add("arrow", f"{tag}.arrow", sink.getvalue(), TAB + "classlabel.parquet")
    stream = io.BytesIO()
    with pa.ipc.new_stream(stream, base.schema) as writer:
        writer.write_table(base)
    corpus.add("arrow", "stream-format.arrow", stream.getvalue(), TAB + "classlabel.parquet")


def textract(corpus: Corpus) -> None:
    """Textract responses with keys deleted or nulled, broken blocks and relationships."""
    rng = random.Random("textract")
    junk: list[Any] = [None, "x", 0, -1, 10**9, [], {}, [None], [1], True]
    for origin in [o for o in ORIGINS if o.startswith("convert/textract/")]:
        doc = json.loads((FIXTURES / origin).read_bytes())
        variants: list[tuple[str, Any]] = []
        for key in doc:
            variants.append((f"del-{key}", {k: v for k, v in doc.items() if k != key}))
            variants.append((f"null-{key}", {**doc, key: None}))
        variants.append(("status-in-progress", {**doc, "JobStatus": "IN_PROGRESS"}))
        variants.append(("status-partial", {**doc, "JobStatus": "PARTIAL_SUCCESS"}))
        variants.append(("status-odd", {**doc, "JobStatus": 5, "NextToken": {"a": 1}}))
        variants.append(("pages-huge", {**doc, "DocumentMetadata": {"Pages": 10**12}}))
        variants.append(("pages-neg", {**doc, "DocumentMetadata": {"Pages": -3}}))
        blocks = doc.get("Blocks")
        if isinstance(blocks, list) and blocks:
            variants.extend(_block_variants(doc, blocks, rng, junk))
        for tag, value in variants:
            data = json.dumps(value, separators=(",", ":")).encode()
            corpus.add("textract", _name(origin, tag.replace("/", "-")), data, origin)


def _block_variants(
    doc: dict[str, Any], blocks: list[Any], rng: random.Random, junk: list[Any]
) -> Iterator[tuple[str, Any]]:
    ids = [b.get("Id") for b in blocks if isinstance(b, dict)]
    for k in range(5):
        out = copy.deepcopy(doc)
        block = rng.choice(out["Blocks"])
        key = rng.choice(sorted(block))
        if k % 2:
            block.pop(key)
            yield f"block-del-{k}-{key}", out
        else:
            block[key] = rng.choice(junk)
            yield f"block-junk-{k}-{key}", out
    for tag, rel in (
        ("self-cycle", lambda b: [{"Type": "CHILD", "Ids": [b["Id"]]}]),
        ("dangling", lambda b: [{"Type": "CHILD", "Ids": ["no-such-block"]}]),
        ("rel-null-ids", lambda b: [{"Type": "CHILD", "Ids": None}]),
        ("rel-odd-type", lambda b: [{"Type": None, "Ids": ids[:3]}, 5]),
        ("value-cycle", lambda b: [{"Type": "VALUE", "Ids": [b["Id"]]}]),
        ("all-children", lambda b: [{"Type": "CHILD", "Ids": ids * 3}]),
    ):
        out = copy.deepcopy(doc)
        for block in out["Blocks"]:
            if isinstance(block, dict) and "Id" in block:
                block["Relationships"] = rel(block)
        yield tag, out
    out = copy.deepcopy(doc)
    for i, block in enumerate(b for b in out["Blocks"] if isinstance(b, dict)):
        block["Relationships"] = [{"Type": "CHILD", "Ids": [ids[(i + 1) % len(ids)], ids[0]]}]
    yield "chain-cycle", out
    out = copy.deepcopy(doc)
    for block in out["Blocks"]:
        if isinstance(block, dict):
            block["Page"] = rng.choice(["1", 0, -1, 10**9, None, 1.5])
            block["Geometry"] = {"BoundingBox": {"Top": "x", "Left": None}}
    yield "bad-pages-geometry", out
    yield "dup-ids", {**doc, "Blocks": blocks + blocks}
    yield "blocks-reversed", {**doc, "Blocks": list(reversed(blocks))}


def idp(corpus: Corpus) -> None:
    """IDP results with odd ids, fields, classes and pages (including path-like ids)."""
    origin = "convert/idp/results.jsonl"
    rows: list[Any] = [
        {"document_id": None, "fields": {"a": 1}},
        {"document_id": 5, "class": 7},
        {"document_id": "../../../etc/passwd", "text": "x"},
        {"document_id": "/etc/passwd", "text": "x"},
        {"document_id": "claim-001", "fields": None},
        {"document_id": "claim-001", "fields": [1, 2]},
        {"document_id": "claim-001", "fields": "text"},
        {"document_id": "claim-001", "pages": None},
        {"document_id": "claim-001", "pages": [None, 1, "x", {"number": "one"}]},
        {"document_id": "claim-001", "pages": [{"number": 10**9}]},
        {"document_id": "claim-001", "pages": [{"number": -1, "image": "file:///etc/passwd"}]},
        {"document_id": "claim-002.pdf", "pages": [{"image": "s3://../x"}], "text": None},
        {"document_id": "", "class": "", "text": ""},
        {"document_id": "claim-001", "class": {"nested": True}, "fields": {"": {"": None}}},
        [1, 2, 3],
        "a string",
    ]
    for k, row in enumerate(rows):
        corpus.add("idp", f"results-{k:02d}.jsonl", _lines(row), origin)
        corpus.add(
            "idp", f"notes-{k:02d}.json", json.dumps([row]).encode(), "convert/idp/notes.json"
        )


def sidecars(corpus: Corpus) -> None:
    """A valid data file beside a broken ``.meta.jsonl`` sidecar (check reads it line by line)."""
    data = (FIXTURES / "demo/validation.jsonl").read_bytes()
    n = len(data.splitlines())
    metas: dict[str, bytes] = {
        "not-json": b"{oops\n" * n,
        "arrays": b"[1]\n" * n,
        "wrong-types": _lines(*[{"id": {}, "label": [1], "group": 5, "source": 1.5}] * n),
        "nulls": _lines(*[{"id": None, "label": None, "group": None, "source": None}] * n),
        "short": b'{"id": "1"}\n',
        "long": _lines(*[{"id": str(i)} for i in range(n + 5)]),
        "bom": b"\xef\xbb\xbf" + _lines(*[{"id": "x"}] * n),
        "binary": random.Random("meta").randbytes(300),
        "blank": b"\n" * n,
        "hostile": _lines(*[{"label": "<script>x</script>", "source": "../../etc/passwd"}] * n),
        "huge-label": _lines(*[{"label": "L" * 100000}] * n),
    }
    for tag, meta in metas.items():
        corpus.add("sidecar", f"{tag}.jsonl", data, "demo/validation.jsonl")
        (corpus.out / "sidecar" / f"{tag}.meta.jsonl").write_bytes(meta)


def write_big_cases(folder: Path) -> list[Path]:
    """The cases too large to commit: a 50 MB line and 100k-deep nesting in several shapes."""
    folder.mkdir(parents=True, exist_ok=True)
    depth = 100_000
    cases = {
        "line-50mb.jsonl": b'{"prompt": "' + b"a" * 50_000_000 + b'", "completion": "x"}\n',
        "line-50mb-unterminated.jsonl": b'{"prompt": "' + b"ab " * 17_000_000,
        "deep-array.jsonl": b"[" * depth + b"]" * depth + b"\n",
        "deep-object.jsonl": b'{"a":' * depth + b"1" + b"}" * depth + b"\n",
        "deep-open.jsonl": b"[" * depth,
        "deep-in-record.jsonl": b'{"prompt": ' + b"[" * depth + b"]" * depth + b"}\n",
        "deep.json": b"[" * depth + b"]" * depth,
        "deep-textract.json": b'{"Blocks": ' + b"[" * depth + b"]" * depth + b"}",
        "deep-cell.csv": b"prompt,completion\n" + b"[" * depth + b",x\n",
        "line-50mb.csv": b"prompt,completion\n" + b"z" * 50_000_000 + b",x\n",
    }
    paths = []
    for name, data in cases.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def build(out: Path) -> list[dict[str, Any]]:
    if out.exists():
        shutil.rmtree(out)
    corpus = Corpus(out)
    for step in (byte_mutations, injections, encodings, json_shapes, whole_file_shapes,
                 csv_shapes, columnar, textract, idp, sidecars):  # fmt: skip
        step(corpus)
    import pyarrow

    manifest: dict[str, Any] = {"generator": "scripts/make_corpus.py"}
    manifest.update(pyarrow=pyarrow.__version__, cases=corpus.cases)
    text = json.dumps(manifest, indent=1, ensure_ascii=True) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from hostile_corpus import cases as hostile_cases

    hostile = {"generator": "scripts/hostile_corpus.py", "cases": hostile_cases()}
    text = json.dumps(hostile, indent=0, ensure_ascii=True) + "\n"
    (out / "hostile.json").write_text(text, encoding="utf-8")
    return corpus.cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    cases = build(args.out)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{len(cases)} cases, {size / 1e6:.1f} MB in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
