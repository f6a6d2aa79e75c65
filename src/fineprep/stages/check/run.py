"""A check run's setup: the model profile for the data's customization type, the enabled
codes and their severities, the token source, and the started checks.

Apart from the engine so that a partition worker (:mod:`.partition`) builds the same run
without importing the coordinator.
"""

from __future__ import annotations

import dataclasses

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.core.limits import RFT
from fineprep.core.model import Severity
from fineprep.core.profiles import ModelProfile
from fineprep.formats import FORMATS
from fineprep.stages.check.rules import CHECKS, RULES, Check
from fineprep.stages.check.scan import ESCAPES, LiteralScanner
from fineprep.stages.check.selection import resolve_selection
from fineprep.stages.check.state import RunState


def new_run(
    settings: Settings,
    roles: frozenset[str] = frozenset({"train"}),
    data_format: str | None = None,
) -> tuple[RunState, list[Check]]:
    """Settings -> run state and started checks; ``roles`` are those of the files to come, and
    ``data_format`` the format of their first record, which picks the customization type whose
    limits apply (an RFT dataset for Nova 2 Lite is judged by its RFT limits)."""
    profile = run_profile(settings, settings.format or data_format)
    if settings.format and settings.format not in FORMATS:
        raise ConfigError(
            f"unknown format {settings.format!r}", hint=f"use one of {', '.join(FORMATS)}"
        )
    enabled = resolve_selection(settings)
    severity = {code: settings.severity.get(code, rule.severity) for code, rule in RULES.items()}
    if profile is not None and profile.record_chars_documented and "L001" not in settings.severity:
        severity["L001"] = Severity.ERROR  # a documented quota, not a planning estimate
    for code in settings.severity:
        if code not in RULES:
            raise ConfigError(
                f"severity override for unknown code {code!r}", hint="run `fineprep explain --list`"
            )
    from fineprep.tokens.source import run_source

    source = run_source(profile, settings.encoding, settings.tokenizer, settings.tokenizer_file)
    run = RunState(settings, profile, enabled, severity, source.tokenizer, planned_roles=roles)
    run.token_source = source
    checks = [cls(run) for cls in CHECKS.values() if enabled.intersection(cls.codes)]
    for check in checks:
        check.start(run)
    run.literals[ESCAPES] = (b"\\u", b"\\/")
    run.scanner = LiteralScanner(run.literals)
    return run, checks


def run_profile(settings: Settings, data_format: str | None) -> ModelProfile | None:
    """The model's profile for the customization type the data is for, with the RFT prompt
    limit (``maxPromptLength``) as the input-token limit when the job sets it."""
    profile = settings.model_profile()
    if profile is None or data_format != "rft" or not profile.accepts("rft"):
        return profile
    profile = profile.for_customization(RFT)
    limit = settings.rft_hyperparameters().get("maxPromptLength")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        sources = {**profile.sources, "max_input_tokens": "hyperparameters.maxPromptLength"}
        profile = dataclasses.replace(profile, max_input_tokens=limit, sources=sources)
    return profile
