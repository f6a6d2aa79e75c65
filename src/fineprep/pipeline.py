"""``fineprep run``: the whole pipeline from one config file.

convert -> augment (when ``[augment]`` sets a goal) -> check -> split -> check the splits ->
upload (when ``[upload] to`` is set) -> job request, then ``report.html``. Each stage runs only
if the one before it left no errors, and the run says which stage stopped it and why: a
labeller fixing row 17 of a CSV should not have to read an upload traceback. Everything lands
in one output folder (``[run] output-dir``, default ``fineprep-out``), written atomically file
by file.

Several sources with different mappings (a CSV of labelled rows and a folder of Textract
responses) are ``[[convert.sources]]`` tables: each overrides keys of ``[convert]`` for one
conversion, and their outputs are concatenated, sidecars included, into ``dataset.jsonl``.
Every source is converted before the convert stage is judged, so when input files cannot be
read the stage lists all of them, across all sources, and the run stops there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError, InputError, MissingInput
from fineprep.core.results import Result
from fineprep.core.wording import count
from fineprep.io.atomic import AtomicWriter, atomic_write_bytes
from fineprep.io.jsonl import sidecar_path
from fineprep.io.outputs import OutputLock, set_manifest_path, write_set_manifest
from fineprep.io.remote import input_aws, is_remote
from fineprep.io.staging import fetch_dataset, local_name
from fineprep.stages.check.state import CheckResult

if TYPE_CHECKING:
    from fineprep.stages.convert.result import ConvertResult

Say = Callable[[str], None]


@dataclass
class Stage:
    name: str
    status: str  # "ok", "failed", "skipped"
    detail: str


@dataclass
class RunResult(Result):
    """The stages with their outcome, the last check, and where the outputs are."""

    out_dir: Path
    stages: list[Stage] = field(default_factory=list)
    check: CheckResult | None = None
    report: Path | None = None
    split_classes: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Per class, original and augmented records (the augment stage ran).
    augmented: dict[str, dict[str, int]] = field(default_factory=dict)
    tool_error: str | None = None
    #: The reward function's dry run (``[rft] grader`` set), shown in the report.
    grade: CheckResult | None = None

    @property
    def failed(self) -> Stage | None:
        return next((s for s in self.stages if s.status == "failed"), None)

    @property
    def exit_code(self) -> int:
        if self.tool_error:
            return 2
        return 1 if self.failed else 0


def run(
    config: str | Path | None = None,
    *,
    settings: Settings | None = None,
    out_dir: str | Path | None = None,
    say: Say | None = None,
) -> RunResult:
    """Run every configured stage; stops at the first stage with errors."""
    settings = settings or load_settings(config)
    preflight(settings)
    say = say or (lambda _msg: None)
    run_cfg = settings.sections.get("run", {})
    base = settings.config_path.parent if settings.config_path else Path()
    out = Path(out_dir) if out_dir else base / str(run_cfg.get("output-dir", "fineprep-out"))
    _refuse_output_in_inputs(settings, base, out)
    out.mkdir(parents=True, exist_ok=True)
    # A pipeline run is where dataset-level checks belong: statistics and near duplicates.
    settings = dataclasses.replace(
        settings, stats=True, extend_select=[*settings.extend_select, "D003"]
    )
    result = RunResult(out)
    try:
        _stages(settings, base, out, result, say)
    finally:
        _report(settings, result, say)
    return result


def _refuse_output_in_inputs(settings: Settings, base: Path, out: Path) -> None:
    """The run's folder inside a folder convert reads would be read back as input by the next
    run (and its parts by this one): refuse it, as convert refuses its own output there."""
    if "convert" not in settings.sections:
        return
    from fineprep.io.remote import is_remote
    from fineprep.stages.convert.options import resolve_jobs

    target = out.resolve()
    jobs = resolve_jobs(settings.sections["convert"], {}, top_model=settings.model, base=base)
    for source in (s for job in jobs for s in job.inputs):
        if not source or source == "-" or is_remote(source):
            continue
        folder = Path(source).resolve()
        if folder.is_dir() and (target == folder or folder in target.parents):
            raise ConfigError(
                f"-o {out} is inside the input folder {source}: the next run would read the "
                "outputs back as input",
                hint="write the run's outputs outside the input folders",
            )


def preflight(settings: Settings) -> None:
    """Every stage's options, resolved now: a bad value in [split], [upload] or [job] (beyond
    the schema's types: shares that sum past 1, a malformed bucket owner or part size) stops
    the run before convert starts, not after the data was converted and checked."""
    from fineprep.stages.convert.options import resolve_jobs
    from fineprep.stages.launch.request import JobOptions
    from fineprep.stages.split.options import resolve_options
    from fineprep.stages.upload.options import UploadOptions, from_table

    sections = settings.sections
    if "convert" in sections:
        resolve_jobs(sections["convert"], {}, top_model=settings.model)
    if "split" in sections:
        split = sections["split"]
        resolve_options(
            split, out_dir=split.get("output", "."), validation=None, test=None,
            stratify=None, group=None, seed=None, max_per_class=None,
        )  # fmt: skip
    upload = from_table(UploadOptions, sections.get("upload", {}), "[upload]")
    upload.sse(), upload.owner(), upload.transfer()
    from_table(JobOptions, sections.get("job", {}), "[job]")


def _stages(settings: Settings, base: Path, out: Path, result: RunResult, say: Say) -> None:
    dataset = _convert(settings, base, out, result, say)
    if dataset is None:
        return
    dataset = _augment(settings, dataset, out, result, say)
    from fineprep.stages.check.engine import check_files

    checked = check_files([str(dataset)], settings)
    result.check = checked
    if not _gate(result, "check", checked, f"{dataset.name}: {count(checked.records, 'record')}"):
        return
    if not _grade(settings, dataset, result, say):
        return
    if settings.sections.get("run", {}).get("split", True) is False:
        result.stages.append(Stage("split", "skipped", "[run] split = false"))
        return
    from fineprep.stages.split.runner import split

    split_dir = out / "split"
    done = split(dataset, split_dir, settings=settings)
    result.split_classes = done.classes
    counts = ", ".join(f"{k} {v:,}" for k, v in done.counts.items())
    result.stages.append(Stage("split", "ok", f"{counts} -> {split_dir}"))
    files = done.files
    validation = [str(files["validation"])] if "validation" in files else []
    test = [str(files["test"])] if "test" in files else []
    checked = check_files([str(files["train"])], settings, validation=validation, test=test)
    result.check = checked
    if not _gate(result, "check splits", checked, f"{count(checked.records, 'record')}"):
        return
    _upload(settings, split_dir, result, say)


def _augment(settings: Settings, dataset: Path, out: Path, result: RunResult, say: Say) -> Path:
    """With a goal in ``[augment]`` (and ``[run] augment`` not false), variants go into
    ``out/augmented.jsonl``, which the later stages use. A goal it cannot reach is said here
    and left to the check (N001, B002) to judge."""
    from fineprep.stages.augment.options import has_goal

    section = settings.sections.get("augment")
    if not has_goal(section) or settings.sections.get("run", {}).get("augment", True) is False:
        return dataset
    from fineprep.stages.augment.runner import augment

    held = None
    if settings.sections.get("run", {}).get("split", True) is False:
        held = 0.0  # no split follows: nothing is held out of training
    done = augment(
        dataset, out / "augmented.jsonl", settings=settings, held_out=held, run_checks=False
    )
    for line in [*done.notes, *done.summary()]:
        say(f"augment: {line}")
    made = ", ".join(f"{name} {n:,}" for name, n in done.strategies.items()) or "none needed"
    short = f"; {sum(done.short.values()):,} short of the goal" if done.short else ""
    detail = f"{done.made:,} variants ({made}){short} -> {done.output}"
    result.stages.append(Stage("augment", "ok", detail))
    result.augmented = done.classes
    return done.output


def _grade(settings: Settings, dataset: Path, result: RunResult, say: Say) -> bool:
    """With ``[rft] grader``, the reward function is tried on every record before anything is
    uploaded: a grader that crashes or cannot read its input stops the run here."""
    rft = settings.sections.get("rft", {})
    if not rft.get("grader"):
        return True
    from fineprep.stages.grade.runner import grade, options_from

    say(f"grading {dataset.name} with {rft['grader']}")
    graded = grade(str(dataset), settings, options_from(settings))
    result.grade = graded
    stats = graded.stats.get("grade", {}).get(str(dataset), {})
    detail = (
        f"{count(stats.get('graded', 0), 'record')} graded, mean score {stats.get('mean', '-')}"
    )
    return _gate(result, "grade", graded, detail)


def _gate(result: RunResult, name: str, checked: CheckResult, ok_detail: str) -> bool:
    errors = [f for f in checked.findings if f.severity.value == "error"]
    if not errors:
        result.stages.append(Stage(name, "ok", ok_detail))
        return True
    codes = ", ".join(f"{c} x{n}" for c, n in checked.by_code().items())
    first = errors[0]
    where = f"{first.location.path}:{first.location.line or ''}".rstrip(":")
    result.stages.append(
        Stage(name, "failed", f"{len(errors)} errors ({codes}); first: {where} {first.message}")
    )
    return False


def _convert(settings: Settings, base: Path, out: Path, result: RunResult, say: Say) -> Path | None:
    """Convert the configured sources into ``out/dataset.jsonl``, or use ``[run] dataset``."""
    table = dict(settings.sections.get("convert", {}))
    jobs = table.pop("sources", None)
    if not table and not jobs:
        declared = settings.sections.get("run", {}).get("dataset") or settings.dataset.get("train")
        if not declared:
            raise ConfigError(
                "nothing to run: configure [convert] (a source to convert) or [run] dataset",
                hint="see the README's configuration reference",
            )
        if is_remote(str(declared)):
            # Every later stage reads the dataset again: one local copy in the run's folder.
            (out / "input").mkdir(exist_ok=True)
            aws = input_aws(settings.sections.get("upload"))
            fetch_dataset(str(declared), aws, out / "input")
            local = out / "input" / local_name(str(declared))
            result.stages.append(Stage("convert", "skipped", f"using {declared} (read to {local})"))
            return local
        result.stages.append(Stage("convert", "skipped", f"using {declared}"))
        return base / str(declared)
    from fineprep.stages.convert.runner import convert

    parts: list[Path] = []
    failures: list[str] = []
    # Every source is converted before the stage is judged, so one run lists every bad file.
    for n, job in enumerate(jobs or [{}], 1):
        if not isinstance(job, dict):
            raise ConfigError("[[convert.sources]] entries must be tables")
        merged = {**table, **job}
        merged["output"] = str((out / "converted" / f"part-{n}.jsonl").resolve())
        merged.setdefault("rejects", str((out / "converted" / f"part-{n}.rejects.jsonl").resolve()))
        (out / "converted").mkdir(exist_ok=True)
        job_settings = dataclasses.replace(
            settings, sections={**settings.sections, "convert": merged}
        )
        try:
            conv = convert(settings=job_settings)
        except InputError as exc:  # the source's only input could not be read
            failures.append(f"source {n}: {exc}")
            if isinstance(exc, MissingInput):  # the config names a path that is not there
                result.tool_error = result.tool_error or str(exc)
            continue
        for line in conv.summary():
            say(line)
        if conv.exit_code != 0 or conv.output is None:
            failures.append(f"source {n}: {_convert_failure(conv)}")
        elif conv.output is not None:
            parts.append(conv.output)
    if failures:
        result.stages.append(Stage("convert", "failed", "; ".join(failures)))
        return None
    dataset = out / "dataset.jsonl"
    _concatenate(parts, dataset)
    result.stages.append(Stage("convert", "ok", f"{len(parts)} source(s) -> {dataset}"))
    return dataset


def _convert_failure(conv: ConvertResult) -> str:
    """Why a source failed: every input file that could not be read, then rejected rows."""
    parts = []
    if conv.failed_files:
        from fineprep.stages.convert.result import located

        files = ", ".join(located(where, why) for where, why in conv.failed_files)
        parts.append(f"{conv.files_failed:,} of {conv.files:,} input files failed: {files}")
    rows = conv.rejected - len(conv.failed_files)
    if rows > 0:
        parts.append(f"{rows:,} rows rejected (see {conv.rejects})")
    if parts:
        return "; ".join(parts)
    return str(conv.stopped or "source expectations failed")


def _concatenate(parts: list[Path], dataset: Path) -> None:
    """Join converted parts and their sidecars line for line (both atomically, under the
    output's lock, sealed by the set manifest written last)."""
    with OutputLock(dataset):
        for target, pick in ((dataset, lambda p: p), (sidecar_path(dataset), sidecar_path)):
            with AtomicWriter(target) as fh:
                for part in parts:
                    src = Path(pick(part))
                    if src.is_file():
                        with src.open("rb") as inp:
                            while chunk := inp.read(1 << 20):
                                fh.write(chunk)
        write_set_manifest(set_manifest_path(dataset), [dataset, sidecar_path(dataset)])


def _upload(settings: Settings, split_dir: Path, result: RunResult, say: Say) -> None:
    upload_cfg = settings.sections.get("upload", {})
    if not upload_cfg.get("to"):
        result.stages.append(
            Stage("upload", "skipped", "no [upload] to = 's3://...': outputs stay local")
        )
        return
    from fineprep.stages.upload.runner import upload

    done = upload([str(split_dir)], settings=settings, progress=say)
    if not done.refused and done.check.valid:
        result.stages.append(
            Stage(
                "upload",
                "ok",
                f"{len(done.uploaded)} uploaded, {len(done.skipped)} unchanged; manifest "
                f"{done.manifest_uri}; job request {done.job_request_path}",
            )
        )
        return
    result.check = done.check
    if done.check.valid:  # refused by a stricter fail-on than errors
        codes = ", ".join(done.check.by_code())
        result.stages.append(Stage("upload", "failed", f"refused by the fail-on policy ({codes})"))
    else:
        _gate(result, "upload", done.check, "")


def _report(settings: Settings, result: RunResult, say: Say) -> None:
    if result.check is None:
        return
    from fineprep.report.html import render_html

    sections: dict[str, Any] = {
        "Pipeline": {s.name: f"{s.status}: {s.detail}" for s in result.stages},
    }
    if result.augmented:
        sections["Original and augmented records per class"] = result.augmented
    if result.split_classes:
        sections["Classes per split"] = result.split_classes
    path = result.out_dir / "report.html"
    shown = result.check
    if result.grade is not None:  # the grader's findings and score chart beside the check's
        from dataclasses import replace

        shown = replace(
            shown,
            findings=[*shown.findings, *result.grade.findings],
            stats={**shown.stats, "grade": result.grade.stats.get("grade", {})},
        )
    html = render_html(shown, title="fineprep run", sections=sections)
    atomic_write_bytes(path, html.encode("utf-8"))
    result.report = path
    say(f"report: {path}")
