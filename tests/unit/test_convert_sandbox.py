"""Templates are bounded in work and size: a hostile template rejects its row, quickly, and
never hangs, exhausts memory or kills the interpreter."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from fineprep.stages.convert.sandbox import Budget
from fineprep.stages.convert.templates import RowError, compile_template

ROW = {"title": "hello world " * 5, "lines": "a\n" * 100_000}

HOSTILE = {
    "nested range loops": "{% for i in range(100000) %}{% for j in range(100000) %}x"
    "{% endfor %}{% endfor %}",
    "lipsum": "{{ lipsum(n=2000000) }}",
    "slice": "{{ title | slice(100000000) | list }}",
    "indent a big text": "{{ lines | indent(2000000) }}",
    "format width": "{{ '%2000000000s' % title }}",
    "str.format width": "{{ '{:2000000000}'.format(title) }}",
    "recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "huge integer": "{{ (10**1000)**1000 }}",
    "string times": "{{ title * 100000000 }}",
    "center": "{{ title | center(2000000000) }}",
    "batch of zero": "{{ [1, 2] | batch(0) | list }}",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_templates_reject_their_row_fast(source: str) -> None:
    template = compile_template("prompt", source)
    started = time.monotonic()
    with pytest.raises(RowError):
        template.render(ROW)
    assert time.monotonic() - started < 5


def test_the_budget_is_configurable_and_counts_work_not_size() -> None:
    loop = "{% for i in range(1000) %}{{ i }}{% endfor %}"
    assert compile_template("prompt", loop).render(ROW).startswith("0123")
    with pytest.raises(RowError, match="steps of work"):
        compile_template("prompt", loop, budget=Budget(steps=500)).render(ROW)
    slow = "{% for i in range(100000) %}{% for j in range(100) %}{% endfor %}{% endfor %}"
    with pytest.raises(RowError, match=r"ran over 0\.05 s|steps of work"):
        compile_template("prompt", slow, budget=Budget(steps=10**9, seconds=0.05)).render(ROW)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ title | truncate(9) }}", "hello..."),
        ("{{ 'one two three' | wordwrap(5) }}", "one\ntwo\nthree"),
        ("{{ 'x' | center(5) }}", "  x  "),
        ("{{ 'a\nb' | indent(2) }}", "a\n  b"),
        ("{{ [1, 2, 3] | batch(2) | list }}", "[[1, 2], [3]]"),
        ("{{ [1, 2, 3] | slice(2) | list }}", "[[1, 2], [3]]"),
        ("{{ '%5s|' % 'ab' }}", "   ab|"),
        ("{{ 2 ** 10 }}", "1024"),
    ],
)
def test_every_documented_filter_works(source: str, expected: str) -> None:
    assert str(compile_template("prompt", source).render(ROW)) == expected


def test_a_format_width_crash_is_a_reject_through_the_cli(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("title,answer\nhello,world\nsecond,row\n")
    proc = subprocess.run(
        [sys.executable, "-m", "fineprep", "convert", str(source), "-o", str(tmp_path / "o.jsonl"),
         "--isolated", "--to", "prompt-completion", "--prompt", "{{ '%2000000000s' % title }}",
         "--completion", "answer"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr  # every row rejected: nothing converted
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    rejects = (tmp_path / "o.rejects.jsonl").read_text()
    assert rejects.count("width 2,000,000,000") == 2
