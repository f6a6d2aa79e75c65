"""The hostile families of the robustness corpus, as case specifications (``hostile.json``).

``scripts/make_corpus.py`` writes mutated files; these cases are *runs* instead: a command
line, the files it needs (from the fixtures, or small ones written here) and what must hold
of its output. Families:

- ``template``: sandbox escapes, work bombs (loops, lipsum, slice, padding, %-width, powers,
  recursion) at growing sizes, every built-in filter with odd arguments, cut-off syntax;
- ``redos``: completion-schema patterns with nested quantifiers against texts made to
  backtrack, and patterns that do not compile;
- ``inject``: control characters, CR/LF, bidirectional overrides and workflow-command syntax
  in file names, keys, values and sidecar sources, through every reporter (output must be inert);
- ``special``: FIFOs, sockets, devices, folders and links where a file is expected;
- ``longline``: lines around and far over ``max-line-bytes``, with and without newlines;
- ``cache``: result-cache entries truncated, flipped, swapped or replaced between two runs;
- ``config``: every config key with values of the wrong type, size or shape, deep nesting,
  non-table sections, NaN and infinities, unknown keys, broken TOML.

Everything is deterministic (seeded), so the file is the same on every run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

REVIEWS = "{FIXTURES}/convert/tabular/reviews.csv"
TRAIN = "{FIXTURES}/demo/train.jsonl"
BAD = "{FIXTURES}/demo/labelled-bad.jsonl"
CONVERT = ["convert", REVIEWS, "-o", "out/o.jsonl", "--isolated", "--to", "prompt-completion"]
CHECK = ["check", "--no-cache"]

#: Sandbox escapes (the robustness tests use this list too).
ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ joiner.__call__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ row.__class__.__base__.__subclasses__() }}",
    "{{ title|attr('__class__') }}",
    "{{ (title|attr('__class__')).__mro__ }}",
    "{{ title.__class__ }}",
    "{{ dict.__subclasses__ }}",
    "{% for i in range(10**9) %}{% endfor %}",
    "x {{ '{0.__class__.__mro__}'.format(row) }}",
    "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "{% include '/etc/passwd' %}",
    "{% import '/etc/passwd' as p %}{{ p }}",
    "{% extends '/etc/passwd' %}",
    "{% from 'os' import system %}{{ system('id') }}",
    "{% set x = row.update({'title': 'changed'}) %}{{ x }}",
    "{{ row.pop('title') }}",
    "{{ config }}",
    "{{ request.application.__globals__ }}",
    "{{ title.__len__() }}",
    "{{ title.format_map(row) }}",
    "{{ '%s' % row.__class__ }}",
    "{{ range.__self__ }}",
    "{{ dict(a=1).items().__iter__() }}",
]
#: Work bombs: ``N`` grows through SIZES.
BOMBS = [
    "{% for i in range(N) %}x{% endfor %}",
    "{% for i in range(N) %}{% for j in range(N) %}{% endfor %}{% endfor %}",
    "{{ lipsum(n=N) }}",
    "{{ lipsum(1, min=N, max=N) }}",
    "{{ title|indent(N) }}",
    "{{ title|center(N) }}",
    "{{ '%Ns' % title }}",
    "{{ '%.Nf' % 1.5 }}",
    "{{ '%0Nd' % 7 }}",
    "{{ '{:>N}'.format(title) }}",
    "{{ '{0:{1}}'.format(title, N) }}",
    "{{ title * N }}",
    "{{ [title] * N }}",
    "{{ N ** N }}",
    "{{ (10 ** N) ** N }}",
    "{{ 2 ** 2 ** N }}",
    "{{ range(N)|list|length }}",
    "{{ range(N)|batch(3)|list|length }}",
    "{{ range(N)|slice(N)|list|length }}",
    "{{ title|truncate(N) }}",
    "{{ title|wordwrap(N) }}",
    "{{ title|replace('a', title * N) }}",
    "{% set x = title * N %}{{ x|length }}",
    "{{ range(N)|join(',')|length }}",
    "{{ (title ~ body) * N }}",
    "{{ title|filesizeformat * N }}",
    "{{ N|string * N }}",
    "{{ range(N)|sum }}",
    "{{ range(N)|map('string')|join|length }}",
]
SIZES = ["10", "100000", "10000000", "1000000000", "2000000000", "99999999999999999999"]
RECURSION = [
    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
    "{% macro f(n) %}{{ f(n) ~ f(n) }}{% endmacro %}{{ f(0) }}",
    "{% for a in range(9) %}{% for b in range(9) %}{% for c in range(9) %}{% for d in range(9)"
    " %}{% for e in range(9) %}{% for f in range(9) %}{% for g in range(9) %}x{% endfor %}"
    "{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    "{% set ns = namespace(x='a') %}{% for i in range(60) %}{% set ns.x = ns.x ~ ns.x %}"
    "{% endfor %}{{ ns.x|length }}",
    "{{ ((((((((((((((((((((((((((((((((title))))))))))))))))))))))))))))))) }}",
    "{{ " + "[" * 500 + "]" * 500 + " }}",
    "{{ " + "-" * 3000 + "1 }}",
    "{{ title" + "|upper" * 5000 + " }}",
]
#: Jinja2's built-in filters (as documented for 3.1).
FILTERS = (
    "abs attr batch capitalize center default dictsort escape filesizeformat first float "
    "forceescape format groupby indent int items join last length list lower map max min "
    "pprint random reject rejectattr replace reverse round safe select selectattr slice sort "
    "string striptags sum title tojson trim truncate unique upper urlencode urlize wordcount "
    "wordwrap xmlattr"
).split()
FILTER_ARGS = ["", "(3)", "('x')", "(none)", "(-1)", "(10**30)", "(title, title)"]
FILTER_SUBJECTS = ["title", "123", "none", "row", "[1, 'a', none]"]


def templates() -> Iterator[tuple[str, str]]:
    for k, t in enumerate(ESCAPES):
        yield f"escape-{k:02d}", t
    for k, bomb in enumerate(BOMBS):
        for i, size in enumerate(SIZES):
            yield f"bomb-{k:02d}-{i}", bomb.replace("N", size)
    for k, t in enumerate(RECURSION):
        yield f"recursion-{k:02d}", t
    rng = random.Random("filters")
    for name in FILTERS:
        for k, arg in enumerate(FILTER_ARGS):
            yield f"filter-{name}-{k}", f"{{{{ {rng.choice(FILTER_SUBJECTS)}|{name}{arg} }}}}"
    whole = "{% for w in body.split() %}{{ w|upper }}{% if not loop.last %} {% endif %}{% endfor %}"
    whole += " {{ title|default('x')|truncate(20) }} {# note #}"
    for cut in range(1, len(whole), 2):
        yield f"cut-{cut:03d}", whole[:cut]


REDOS_PATTERNS = [
    "^([a-z0-9]+)*$",
    "^(a+)+$",
    "^(a|a)*$",
    "^(a|aa)+$",
    r"^(\w+\s?)*$",
    "^([a-zA-Z0-9])(([-.]|[_]+)?([a-zA-Z0-9]+))*(@)",
    "(x+x+)+y",
    r"^(\d+)*\.$",
    r"^(([a-z])+.)+[A-Z]([a-z])+$",
    r"^(\s*,?\s*)*$",
    "(a*)*b",
    "^(a?){30}a{30}$",
    r"^(?=a)(a|a)*$",
    r"^(?!b)(a+)+$",
    r"(\w)\1*(a+)+$",
    r"^(([^@]+)+)@",
    r"^(.*a){20}$",
    r"^(\d|\d\d)+$",
]
ATTACKS = ["a" * 41 + "!", "a" * 64, "x" * 50, "1" * 50 + "x", "word " * 30 + "!"]
BAD_PATTERNS = [
    "(",
    "[a-",
    "(?P<",
    "\\",
    "a{2,1}",
    "*a",
    "(?i",
    r"\p{Nope}",
    "(?<=a+)b",
    "a{99999999}",
    "[[:nope:]]",
    "(?P<n>a)(?P<n>b)",
    r"\k<missing>",
    "x" * 20_000,
    "(" * 3000 + ")" * 3000,
    "\x00",
    "(?#",
    "[\\d-z]",
    "a**",
    "(?R)",
    "((a{1000}){1000}){1000}",
    "(?=a)(a{1000}){1000}",
    "(?<=x)" + "(a{999})" * 200,
]


SCHEMA_CONFIG = '[tool.fineprep]\ncompletion-schema = "answer.schema.json"\n'


def _schema_files(schema: dict[str, Any], answers: list[str]) -> dict[str, str]:
    return {
        "fineprep.toml": SCHEMA_CONFIG,
        "answer.schema.json": json.dumps(schema),
        "data.jsonl": _answers(answers),
    }


def _answers(texts: list[str]) -> str:
    lines = [
        json.dumps({"prompt": "code?", "completion": json.dumps({"code": t, t[:20]: 1})})
        for t in texts
    ]
    return "\n".join(lines) + "\n"


HOSTILE = [
    "\x1b[2J\x1b[H",
    "\x1b]0;owned\x07",
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "line\rOVERWRITE",
    "one\ntwo",
    "\r\n::error file=ci.yml,line=1::fake",
    "::add-mask::secret",
    "::stop-commands::tok",
    "%0A::error::x",
    "%25%0D",
    "\u202etxt.exe",
    "\u202a\u202b\u202c\u202d",
    "\u2066\u2067\u2068\u2069",
    "\u200e\u200f\u061c",
    "a\u2028b\u2029c",
    "\x85\x9b31m",
    "\x00nul",
    "\x7fdel\x08\x08",
    "<script>alert(1)</script>",
    "]]><!--",
    "\ufeffbom",
    "`rm -rf /`",
    "${{ secrets.TOKEN }}",
    "::",
    "\t::warning::tab",
]
REPORTERS = ["text", "github", "sarif", "json", "html"]


def injections() -> Iterator[dict[str, Any]]:
    for k, bad in enumerate(HOSTILE):
        for place in ("name", "key", "value", "source"):
            fmt = REPORTERS[(k + len(place)) % len(REPORTERS)]
            for output in sorted({fmt, "text", "github"}):
                name = "d.jsonl"
                record: dict[str, Any] = {"prompt": "Summarise the ticket.", "completion": "k"}
                meta: dict[str, Any] = {"id": "1", "source": "t.csv:row 2"}
                if place == "name":
                    name = bad.replace("/", "_").replace("\x00", "0").replace("\n", "_") + ".jsonl"
                elif place == "key":
                    record[bad] = 1
                elif place == "value":
                    record["prompt"] = f"Summarise {bad} AKIAIOSFODNN7EXAMPLE"
                else:
                    meta["source"] = bad
                files = {
                    name: json.dumps(record) + "\n",
                    name.replace(".jsonl", ".meta.jsonl"): json.dumps(meta) + "\n",
                }
                yield {
                    "id": f"inject/{k:02d}-{place}-{output}",
                    "files": files,
                    "args": [*CHECK, "--isolated", "--output-format", output, name],
                    "inert": output,
                }


SPECIAL = ["fifo", "socket", "dev-zero", "dev-null", "dev-urandom", "folder", "link-zero"]


def specials() -> Iterator[dict[str, Any]]:
    for kind in SPECIAL:
        target = "data.jsonl"
        commands = {
            "check": [*CHECK, "--isolated", target],
            "split": ["split", target, "-o", "split", "--isolated"],
            "convert": [
                "convert",
                target,
                "-o",
                "out/o.jsonl",
                "--isolated",
                "--to",
                "pretraining",
            ],
        }
        for name, args in commands.items():
            yield {"id": f"special/{kind}-{name}", "special": {target: kind}, "args": args}


def long_lines() -> Iterator[dict[str, Any]]:
    limit = 1000
    ok = json.dumps({"prompt": "What is the capital of France?", "completion": "Paris."})
    for size in (limit - 2, limit - 1, limit, limit + 1, limit + 2, 2 * limit, 100 * limit):
        filler = "a" * max(size - 40, 1)
        big = json.dumps({"prompt": filler, "completion": "x"})
        for k, (before, after, end) in enumerate(
            [("", "", "\n"), (ok + "\n", "\n" + ok, "\n"), ("", "", ""), (ok + "\r\n", "", "\r\n")]
        ):
            text = before + big + end + after
            yield {
                "id": f"longline/{size}-{k}",
                "files": {"data.jsonl": text},
                "args": [*CHECK, "--isolated", "--max-line-bytes", str(limit), "data.jsonl"],
            }
    zeros = "\x00" * 5000
    for name, text in {"nul": zeros, "nonl": "b" * 20_000, "spaces": " " * 30_000}.items():
        for fmt in ("text", "json"):
            yield {
                "id": f"longline/{name}-{fmt}",
                "files": {"data.jsonl": text},
                "args": [
                    *[*CHECK, "--isolated", "--max-line-bytes", "1000", "-o", "r.out"],
                    *["--output-format", fmt, "data.jsonl"],
                ],
            }
    yield {
        "id": "longline/sidecar",
        "files": {"data.jsonl": ok + "\n", "data.meta.jsonl": "m" * 5000 + "\n"},
        "args": [*CHECK, "--isolated", "--max-line-bytes", "1000", "data.jsonl"],
    }


CACHE_MUTATIONS = [
    "truncate",
    "empty",
    "flip",
    "zero",
    "json-null",
    "json-list",
    "json-wrong-types",
    "json-huge-numbers",
    "json-deep",
    "swap",
    "binary",
    "dir",
    "fifo",
    "fifo-entry",
]


def caches() -> Iterator[dict[str, Any]]:
    for data in (TRAIN, BAD, REVIEWS.replace("reviews.csv", "docs.jsonl")):
        for mutation in CACHE_MUTATIONS:
            for second in ("same", "other-format"):
                fmt = "json" if second == "other-format" else "text"
                yield {
                    "id": f"cache/{data.rsplit('/', 1)[-1]}-{mutation}-{second}",
                    "cache": mutation,
                    "copy": {"data.jsonl": data},
                    "args": ["check", "--isolated", "data.jsonl"],
                    "again": ["check", "--isolated", "--output-format", fmt, "data.jsonl"],
                }


#: config key -> a valid value (TOML) and bad values (TOML text).
CONFIG_KEYS: dict[str, str] = {
    "model": '"nova-lite"',
    "format": '"conversation"',
    "select": '["E"]',
    "extend-select": '["D003"]',
    "ignore": '["L"]',
    "fail-on": '"warning"',
    "severity": '{ L002 = "error" }',
    "limits": "{ max_records = 10 }",
    "models": '{ "nova-lite" = { max_records = 10 } }',
    "encoding": '"o200k_base"',
    "tokenizer": '"auto"',
    "tokenizer-file": '"vocab.json"',
    "exact-tokens": "true",
    "stats": "true",
    "token-sample-size": "10",
    "max-line-bytes": "1000",
    "epochs": "2",
    "hyperparameters": '{ epochCount = "2" }',
    "checks": "{ L002 = { min-chars = 2 } }",
    "validation-files": '["v.jsonl"]',
    "dataset": '{ train = "data.jsonl" }',
    "completion-format": '"json"',
    "completion-schema": '{ type = "object" }',
    "labels": '["a", "b"]',
    "label-from": '"sidecar"',
}
BAD_VALUES = [
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "9223372036854775807",
    "1e308",
    '""',
    '"' + "x" * 5000 + '"',
    "[]",
    "{}",
    "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]",
    "{ a = { b = { c = { d = { e = { f = 1 } } } } } }",
    "true",
    "1979-05-27T07:32:00Z",
    '"\\u0000\\u001b[2J"',
    '["\\u202e", 1, true]',
    '{ "" = 1 }',
]
BROKEN_TOML = [
    "[tool.fineprep",
    "[tool]\nfineprep = 1\n",
    '[tool]\nfineprep = "x"\n',
    "[tool]\nfineprep = [1, 2]\n",
    "tool = 5\n",
    "[tool.fineprep]\nmodel = \n",
    "[tool.fineprep]\nmodel = 'a'\nmodel = 'b'\n",
    "[tool.fineprep]\nx" + ".y" * 3000 + " = 1\n",
    "[tool.fineprep]\nv = " + "[" * 3000 + "]" * 3000 + "\n",
    "[tool.fineprep]\nv = " + "{a=" * 500 + "1" + "}" * 500 + "\n",
    "\xff\xfe[tool.fineprep]\n",
    "[tool.fineprep]\nunknown-key = 1\n",
    "[tool.fineprep.models.nova-lite]\nunknown = 1\n",
    "[tool.fineprep]\nhyperparameters = { learningRate = nan, epochCount = inf }\n",
    "[tool.fineprep.rft.hyperparameters]\nmaxPromptLength = nan\n",
    "[tool.fineprep.convert]\nprompt = 5\n",
    "[tool.fineprep.split]\nvalidation = nan\n",
    "[tool.fineprep.job]\nname = " + '"' + "j" * 3000 + '"\n',
    "[tool.fineprep.report]\nrows = -1\n",
    "[[tool.fineprep]]\nmodel = 'x'\n",
]


def configs() -> Iterator[dict[str, Any]]:
    for key, good in CONFIG_KEYS.items():
        cases = {"good": good, **{f"bad{k:02d}": v for k, v in enumerate(BAD_VALUES)}}
        for tag, value in cases.items():
            text = f"[tool.fineprep]\n{key} = {value}\n"
            yield {
                "id": f"config/{key}-{tag}",
                "files": {"fineprep.toml": text},
                "copy": {"data.jsonl": TRAIN},
                "args": [*CHECK, "data.jsonl"],
            }
    for k, text in enumerate(BROKEN_TOML):
        for command in ("check", "split", "convert"):
            args = {
                "check": [*CHECK, "data.jsonl"],
                "split": ["split", "data.jsonl", "-o", "split"],
                "convert": ["convert", "data.jsonl", "-o", "out/o.jsonl", "--to", "pretraining"],
            }[command]
            yield {
                "id": f"config/broken-{k:02d}-{command}",
                "files": {"fineprep.toml": text},
                "copy": {"data.jsonl": TRAIN},
                "args": args,
            }


def cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, template in templates():
        args = [*CONVERT, "--prompt", template, "--completion", "label"]
        out.append({"id": f"template/{name}", "args": args})
    for p, pattern in enumerate(REDOS_PATTERNS):
        for where in ("pattern", "patternProperties"):
            if where == "pattern":
                schema = {"properties": {"code": {"type": "string", "pattern": pattern}}}
            else:
                schema = {"patternProperties": {pattern: {"type": "number"}}}
            for a, attack in enumerate(ATTACKS):
                out.append(
                    {
                        "id": f"redos/{p:02d}-{where}-{a}",
                        "files": _schema_files(schema, [attack, "ok", attack + "b"]),
                        "args": [*CHECK, "--select", "C", "data.jsonl"],
                    }
                )
    for p, pattern in enumerate(BAD_PATTERNS):
        for where in ("pattern", "patternProperties", "nested"):
            schema: dict[str, Any] = {"properties": {"code": {"pattern": pattern}}}
            if where == "patternProperties":
                schema = {"patternProperties": {pattern: {}}, "additionalProperties": False}
            elif where == "nested":
                schema = {"items": {"anyOf": [{"properties": {"x": {"pattern": pattern}}}]}}
            out.append(
                {
                    "id": f"redos/bad-{p:02d}-{where}",
                    "files": _schema_files(schema, ["abc"]),
                    "args": [*CHECK, "data.jsonl"],
                }
            )
    out += list(injections())
    out += list(specials())
    out += list(long_lines())
    out += list(caches())
    out += list(configs())
    return out
