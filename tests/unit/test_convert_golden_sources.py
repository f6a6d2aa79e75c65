"""Every source kind into every target it can write, checked like a real dataset.

For each source (tables, chat files, document-AI outputs) a fixture converts into each target
format for a model that takes it. The conversation output is compared byte for byte with
``fixtures/convert/golden/<source>/`` (regenerate with ``FINEPREP_UPDATE_GOLDEN=1`` and review
the diff), and every output must pass ``fineprep check`` for its model, with the sidecar line
for line and no row lost: rows read = rows converted + rejects written. Runs from
``fixtures/convert`` so that sources read ``chat/alpaca_en_demo.json:item 2``. N001 (too few
records) is ignored: a fixture is below every model's minimum by design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.model import Severity
from fineprep.stages.check.engine import check_files
from fineprep.stages.convert.runner import convert
from tests.conftest import FIXTURES, needs_tokenizer
from tests.unit.test_convert_golden import assert_golden

HERE = FIXTURES / "convert"
GOLDEN = HERE / "golden"

DOC_TEXT = "{{ document.text }}{% for t in document.tables %}\n\n{{ t }}{% endfor %}"
DOC_ANSWER = (
    "{{ document.fields_json if document.fields else (document.class or document.kv_text) }}"
)
DOCUMENT = {"prompt": DOC_TEXT, "completion": DOC_ANSWER}

#: source -> (inputs, options); the options map fields for every target but pre-training.
SOURCES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "csv": (["tabular/reviews.csv"], {"prompt": "{{ title }}: {{ body }}", "completion": "label"}),
    "csv-headerless": (
        ["tabular/headerless.csv"],
        {"no_header": True, "prompt": "c1", "completion": "c2"},
    ),
    "csv-gb18030": (
        ["tabular/encodings/reviews-gb18030.csv"],
        {"prompt": "review", "completion": "label"},
    ),
    "csv-shift_jis": (
        ["tabular/encodings/reviews-shift_jis.csv"],
        {"prompt": "review", "completion": "label"},
    ),
    "xlsx": (
        ["tabular/tickets.xlsx"],
        {
            "prompt": "message",
            "completion": "{{ reply | default('(no reply yet)') }}",
            "id": "ticket",
        },
    ),
    "jsonl-nulls": (
        ["tabular/nulls.jsonl"],
        {"prompt": "question", "completion": "{{ answer | default('unknown') }}", "label": "note"},
    ),
    "openai-chat": (["chat/toy_chat_fine_tuning.jsonl", "chat/openai_edge_cases.jsonl"], {}),
    "sharegpt": (["chat/glaive_toolcall_en_demo.json", "chat/sharegpt_edge_cases.jsonl"], {}),
    "alpaca": (["chat/alpaca_en_demo.json", "chat/alpaca_edge_cases.jsonl"], {}),
    "textract-lending": (
        ["textract/lending/lending-package-no-signature.json", "textract/lending/job-1005"],
        {
            "source_options": {"unit": "page"},
            "prompt": "{{ page.text }}",
            "completion": "{{ page.class }}",
        },
    ),
    "textract-a2i": (["textract/a2i"], DOCUMENT),
    "azure-di": (["azure"], DOCUMENT),
    "docai": (["docai"], DOCUMENT),
    "bda": (["bda"], DOCUMENT),
    "comprehend": (
        ["comprehend/output.tar.gz"],
        {
            "source_options": {"input_dir": "comprehend/input"},
            "prompt": "{{ document.text }}",
            "completion": "{{ document.class }}",
        },
    ),
}
#: target -> model that takes it
TARGETS = {
    "conversation": "nova-micro",
    "claude-messages": "claude-3-haiku",
    "prompt-completion": "titan-text-express",
    "pretraining": "titan-text-express",
}
CHAT = {"openai-chat", "sharegpt", "alpaca"}
PRETRAINING_INPUT = {
    "csv": "body",
    "csv-gb18030": "review",
    "csv-shift_jis": "review",
    "xlsx": "message",
}


def _options(source: str, target: str) -> dict[str, Any] | None:
    """The options for a source into a target, or None when that pair is not a conversion."""
    options = dict(SOURCES[source][1])
    if target == "pretraining":
        if source in CHAT or source in ("csv-headerless", "jsonl-nulls"):
            return None
        for key in ("prompt", "completion", "id"):
            options.pop(key, None)
        if source in PRETRAINING_INPUT:
            options["input"] = PRETRAINING_INPUT[source]
        options["min_chunk_tokens"] = 0
    return options


def _convert(source: str, target: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    options = _options(source, target)
    assert options is not None
    monkeypatch.chdir(HERE)
    inputs = SOURCES[source][0]
    return convert(
        inputs,
        output=out / "out.jsonl",
        model=TARGETS[target],
        to=target,
        settings=Settings(),
        **options,
    )


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.is_file() else 0


PAIRS = [(s, t) for s in SOURCES for t in TARGETS if _options(s, t) is not None]


@needs_tokenizer
@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_every_source_into_every_target_passes_check(
    source: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _convert(source, target, tmp_path, monkeypatch)
    # No row is lost: every row read is a record (or chunks of one) or a reject line.
    assert result.rows == (result.rows - result.rejected) + _lines(tmp_path / "out.rejects.jsonl")
    assert result.rejected == _lines(tmp_path / "out.rejects.jsonl")
    if result.output is None:  # every row rejected: a stop with the reason, never a crash
        assert result.exit_code == 2 and result.stopped
        assert target == "prompt-completion" and source in CHAT, result.first_rejects
        return
    checked = check_files(
        [str(result.output)], Settings(model=TARGETS[target], ignore=["N001"], extend_select=[])
    )
    errors = [f"{f.code} {f.message}" for f in checked.findings if f.severity is Severity.ERROR]
    assert errors == [], errors
    assert checked.records == result.records == _lines(tmp_path / "out.meta.jsonl")
    if target != "pretraining":
        assert result.records == result.rows - result.rejected


@needs_tokenizer
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_golden_conversation_output(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _convert(source, "conversation", tmp_path, monkeypatch)
    assert_golden(tmp_path, GOLDEN / f"source-{source}")
