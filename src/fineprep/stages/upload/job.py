"""The job side of an upload: options that depend on the customization type the job will be.

An upload checks its data for the job it writes the request for, so the type decides both: a
REINFORCEMENT_FINE_TUNING job takes typed hyperparameters in ``rftConfig``, and a DISTILLATION
job (``--teacher``) takes distillation prompts and no hyperparameters at all. Deciding this
before the data is checked is what keeps ``upload`` from passing data that ``check --format
distillation`` fails, or writing a request that silently lost a ``-H`` value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fineprep.core.config import Settings, whole_hyperparameter
from fineprep.core.errors import ConfigError
from fineprep.stages.launch.numbers import INT
from fineprep.stages.launch.request import JobOptions, no_hyperparameters
from fineprep.stages.launch.validate import DISTILLATION

DISTILLATION_FORMAT = "distillation"


def rft_job(opts: JobOptions, settings: Settings, cli: JobOptions | None) -> JobOptions:
    """The RFT side of the job: the grader ARN (``--grader-arn``, else ``[rft] grader-arn``, else
    an ARN ``[rft] grader``) and ``[rft.hyperparameters]`` under ``-H`` values, which an RFT
    job takes typed, in rftConfig (the top-level string ``hyperparameters`` are for supervised
    jobs and are not mixed in)."""
    section = settings.sections.get("rft", {})
    grader = section.get("grader")
    arn = (
        opts.grader_arn
        or section.get("grader-arn")
        or (grader if isinstance(grader, str) and grader.startswith("arn:") else None)
    )
    chosen = {**settings.rft_hyperparameters(), **(cli.hyperparameters if cli else {})}
    return replace(opts, grader_arn=arn, rft_hyperparameters=chosen)


def check_with_job(settings: Settings, opts: JobOptions) -> None:
    """Check the data with the job's hyperparameters, ``-H`` over config, as the request will
    carry them: Titan Text's per-record token limit shrinks with ``batchSize``, token totals
    count ``epochCount``, an RFT job's ``maxPromptLength`` is its prompt limit. A ``-H`` value
    that is no whole number where one is due is left to the request, which refuses it by
    its ``-H`` name."""
    chosen = dict(settings.hyperparameters)
    for name, value in opts.hyperparameters.items():
        try:
            whole_hyperparameter(name, value)
        except ConfigError:
            continue
        chosen[name] = value
    settings.hyperparameters = chosen
    section = settings.sections.get("rft", {})
    if opts.rft_hyperparameters and isinstance(section, dict):
        typed = {
            k: int(v) if isinstance(v, str) and INT.fullmatch(v.strip()) else v
            for k, v in opts.rft_hyperparameters.items()
        }
        settings.sections = {**settings.sections, "rft": {**section, "hyperparameters": typed}}


def distillation_job(
    opts: JobOptions,
    settings: Settings,
    cli: JobOptions | None,
    say: Callable[[str], None],
) -> JobOptions:
    """A DISTILLATION job is checked and requested as one. Its data is checked in the
    distillation format (``settings.format`` is set), so the rules Bedrock applies to prompts
    hold: at least 100 valid prompts, at most 15,000, not fine-tuning's counts. It carries no
    hyperparameters: an explicit ``-H`` is a usage error, while values from config (shared with
    fine-tuning jobs) are left out with a note. A validation file is kept, as the distillation
    job page (R8d in the model data: submit-model-distillation-job.html) lists
    ``validationDataConfig`` among the request's optional fields."""
    if not opts.teacher:
        raise ConfigError("distillation needs a teacher model", hint="pass --teacher MODEL_ID")
    if settings.format not in (None, DISTILLATION_FORMAT):
        raise ConfigError(
            f"a distillation job takes distillation prompts, but the config sets "
            f"format = {settings.format!r}",
            hint=f'set format = "{DISTILLATION_FORMAT}", or leave out --teacher for a '
            "fine-tuning job",
        )
    profile = settings.model_profile()
    if profile is not None:
        profile.for_customization(DISTILLATION)  # refuses a model that cannot be a student
    explicit = dict(cli.hyperparameters) if cli else {}
    if explicit:
        raise no_hyperparameters(explicit)
    if opts.hyperparameters:
        names = ", ".join(sorted(opts.hyperparameters))
        say(f"note: hyperparameters from config not sent ({names}): a distillation job takes none")
    settings.format = DISTILLATION_FORMAT
    return replace(opts, hyperparameters={})
