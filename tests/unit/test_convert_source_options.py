"""-S reader options go to the readers that take them: a stray file read by a reader that
takes none is refused on its own, and only an option no reader of the run takes stops it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.stages.convert.runner import convert
from tests.conftest import FIXTURES

ANALYZE = FIXTURES / "convert" / "textract" / "analyze_document.json"


def run(inputs: list[Path], out: Path, **kwargs: Any) -> Any:
    return convert(
        inputs,
        output=out / "o.jsonl",
        to="prompt-completion",
        prompt="{{ page.text }}",
        completion="{{ page.number }}",
        source_options={"unit": "page"},
        settings=Settings(),
        **kwargs,
    )


def test_a_stray_json_file_is_one_reject_and_the_outputs_convert(tmp_path: Path) -> None:
    folder = tmp_path / "ocr"
    folder.mkdir()
    shutil.copy(ANALYZE, folder / "form.json")
    (folder / "config.json").write_text(json.dumps({"note": "ocr run config", "pages": "all"}))
    result = run([folder], tmp_path / "out")
    assert result.records >= 1 and result.exit_code == 1
    assert (result.files, result.files_failed) == (2, 1)
    [reject] = [json.loads(x) for x in (tmp_path / "out" / "o.rejects.jsonl").open()]
    assert reject["source"] == str(folder / "config.json")
    assert reject["reason"].startswith(
        f"{folder / 'config.json'}: read as json, which takes no -S options "
        "(-S unit given for the textract source)"
    )


def test_an_option_no_reader_takes_is_a_usage_error(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n")
    stray = tmp_path / "config.json"
    stray.write_text(json.dumps({"note": "x"}))
    with pytest.raises(ConfigError, match=r"-S unit: the csv and json sources have no option"):
        run([table, stray], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
