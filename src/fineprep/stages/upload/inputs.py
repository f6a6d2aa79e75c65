"""Which local files an upload sends (role, object name), and their re-check.

A directory written by ``fineprep split`` holds ``train.jsonl``, optionally
``validation.jsonl`` and ``test.jsonl``, their sidecars and ``split.json``; explicit files get
their role from ``--validation``/``--test`` or their names, exactly as ``fineprep check``
assigns them. Bedrock takes one training file and (at most) one validation file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fineprep.core.config import Settings
from fineprep.core.errors import InputError, TokenizerUnavailable
from fineprep.core.model import Finding, Location
from fineprep.io.jsonl import sidecar_path
from fineprep.stages.check.engine import file_role
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.selection import resolve_selection
from fineprep.stages.check.state import CheckResult
from fineprep.stages.upload.manifest import SPLIT_NAME

DATA_ROLES = ("train", "validation", "test")


@dataclass
class LocalFile:
    """A file to upload: ``role`` is train/validation/test/sidecar/split."""

    path: Path
    role: str
    of: str | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Inputs:
    files: list[LocalFile]
    split_path: Path | None
    out_dir: Path

    def data(self, role: str | None = None) -> list[LocalFile]:
        roles = DATA_ROLES if role is None else (role,)
        return [f for f in self.files if f.role in roles]


def resolve_inputs(
    paths: list[str],
    validation: list[str],
    test: list[str],
    settings: Settings,
    *,
    sidecars: bool = True,
) -> Inputs:
    by_role: dict[str, list[Path]] = {"train": [], "validation": [], "test": []}
    by_role["validation"] += [Path(p) for p in validation]
    by_role["test"] += [Path(p) for p in test]
    split_path: Path | None = None
    out_dir: Path | None = None
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            train = path / "train.jsonl"
            if not train.is_file():
                raise InputError(
                    f"{path}: no train.jsonl in this folder",
                    hint=f"run `fineprep split DATASET.jsonl -o {path}`, or pass the files",
                )
            by_role["train"].append(train)
            for role in ("validation", "test"):
                if (path / f"{role}.jsonl").is_file():
                    by_role[role].append(path / f"{role}.jsonl")
            split_path = split_path or path / SPLIT_NAME
            out_dir = out_dir or path
        elif path.is_file():
            by_role[file_role(str(path), settings, set(), set())].append(path)
        else:
            raise InputError(f"{path}: no such file or folder", hint="check the path")
    for role, found in by_role.items():
        for path in found:
            if not path.is_file():
                raise InputError(f"{path}: no such file", hint="check the path")
        if len(found) > 1:
            names = ", ".join(str(p) for p in found)
            raise InputError(
                f"{len(found)} {role} files ({names}); Bedrock takes one {role} file",
                hint="concatenate them, or pass the folder written by `fineprep split`",
            )
    if not by_role["train"]:
        raise InputError("no training file", hint="pass a folder with train.jsonl, or FILE")
    train = by_role["train"][0]
    files = [LocalFile(by_role[r][0], r) for r in DATA_ROLES if by_role[r]]
    if sidecars:
        for data in list(files):
            meta = sidecar_path(data.path)
            if meta.is_file() and meta != data.path:
                files.append(LocalFile(meta, "sidecar", of=data.name))
    split_path = split_path or train.parent / SPLIT_NAME
    if split_path.is_file():
        files.append(LocalFile(split_path, "split"))
    else:
        split_path = None
    seen: dict[str, Path] = {}
    for f in files:
        if f.name in seen:
            raise InputError(
                f"{f.path} and {seen[f.name]} would both be uploaded as {f.name}",
                hint="rename one of them",
            )
        seen[f.name] = f.path
    return Inputs(files, split_path, out_dir or train.parent)


class Sink:
    """Adds U findings to a check result under the run's selection and severity policy."""

    def __init__(self, result: CheckResult) -> None:
        self.result = result
        self.enabled = resolve_selection(result.settings)

    def __call__(self, code: str, message: str, where: Location, data: dict[str, Any]) -> None:
        if code not in self.enabled:
            return
        rule = RULES.get(code)
        severity = self.result.settings.severity.get(code, rule.severity)
        self.result.findings.append(Finding(code, rule.name, severity, message, where, data))


def check_inputs(inputs: Inputs, settings: Settings) -> CheckResult:
    """Check the data files against the model, as ``fineprep check`` would, with token
    totals for the manifest when a tokenizer is available."""
    from fineprep.stages.check.engine import check_files

    def run(stats: bool) -> CheckResult:
        settings.stats = stats
        return check_files(
            [str(f.path) for f in inputs.data("train")],
            settings,
            validation=[str(f.path) for f in inputs.data("validation")],
            test=[str(f.path) for f in inputs.data("test")],
        )

    wanted = settings.stats or settings.exact_tokens
    try:
        result = run(True)  # token totals for the manifest
    except TokenizerUnavailable:
        return run(wanted)
    if not wanted:  # the totals were for the manifest, not a request to report them
        result.findings = [f for f in result.findings if f.code != "T005"]
    return result
