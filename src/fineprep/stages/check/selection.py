"""Rule selection like ruff: ``--select``/``--ignore`` take codes or prefixes (``D``, ``T00``).

Without ``--select`` the default set is every rule that is on by default; ``--select`` replaces
it and ``--extend-select`` adds to it. ``ALL`` selects everything. P-codes cannot be ignored:
an unparsed line cannot be checked, so hiding the fact would hide every other problem in it.

``--scope record`` keeps only the rules that judge each record alone (the per-file pre-commit
hook): dataset rules (counts, balance, duplicates, leaks, token totals) need the whole set and
run in ``fineprep check --dataset``.
"""

from __future__ import annotations

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError, did_you_mean
from fineprep.core.rules import SCOPES
from fineprep.stages.check.rules import RULES


def matches(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def _validate(selectors: list[str], what: str) -> None:
    for sel in selectors:
        if sel != "ALL" and not any(matches(sel, code) for code in RULES):
            raise ConfigError(
                f"{what}: {sel!r} matches no finding code{did_you_mean(sel, RULES)}",
                hint="run `fineprep explain --list` to see the codes",
            )


def resolve_selection(settings: Settings) -> frozenset[str]:
    """The codes enabled for this run."""
    select = settings.select
    _validate(select or [], "--select")
    _validate(settings.extend_select, "--extend-select")
    _validate(settings.ignore, "--ignore")
    enabled: set[str] = set()
    for code, rule in RULES.items():
        if select is None:
            on = rule.default_enabled
        else:
            on = any(matches(s, code) for s in select)
        if any(matches(s, code) for s in settings.extend_select):
            on = True
        if any(matches(s, code) for s in settings.ignore) and not rule.mandatory:
            on = False
        if rule.mandatory:
            on = True
        if on:
            enabled.add(code)
    stats_wanted = settings.stats or settings.exact_tokens
    if stats_wanted and not any(matches(s, "T005") for s in settings.ignore):
        enabled.add("T005")
    if settings.scope not in SCOPES:
        raise ConfigError(f"unknown scope {settings.scope!r}", hint="use all or record")
    if settings.scope == "record":
        enabled = {code for code in enabled if RULES.get(code).scope == "record"}
    return frozenset(enabled)
