"""The ``template`` strategy: a converted record's prompt, rendered again from its source row
with the alternative prompt templates the user lists.

convert's sidecar names each record's source row (``tickets.csv:row 17``); this strategy reads
the sources again with the ``[convert]`` configuration (every ``[[convert.sources]]`` job), only
for the rows of the originals that may get variants, and renders their prompt with convert's
own template engine (read-only). A record is reworded only if the configured prompt template
still renders exactly its prompt text from that row: a record edited after conversion, or a
row that changed, is left alone (and counted), never guessed at.
"""

from __future__ import annotations

from collections.abc import Iterator
from hashlib import blake2b
from pathlib import Path
from typing import Any

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.core.profiles import ModelProfile
from fineprep.stages.augment.records import Original, with_texts
from fineprep.stages.augment.strategy import Candidate
from fineprep.stages.convert.mapping import build_mapping, default_target
from fineprep.stages.convert.options import ConvertOptions, resolve_options
from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.sources.detect import TABULAR, iter_items, plan
from fineprep.stages.convert.templates import RowError, Template, compile_template


def convert_jobs(settings: Settings) -> list[ConvertOptions]:
    """The conversions ``[convert]`` describes: one, or one per ``[[convert.sources]]``."""
    table = dict(settings.sections.get("convert", {}))
    jobs = table.pop("sources", None) or [{}]
    base = settings.config_path.parent if settings.config_path else None
    out = []
    for job in jobs:
        if not isinstance(job, dict):
            raise ConfigError("[[convert.sources]] entries must be tables")
        opts = resolve_options({**table, **job}, {}, top_model=settings.model, base=base)
        if opts.inputs:
            out.append(opts)
    if not out:
        raise ConfigError(
            "augment --strategy template reads the sources again: configure [convert] inputs",
            hint="the same [convert] section (or [[convert.sources]]) the data was converted with",
        )
    return out


def _reader_options(opts: ConvertOptions) -> Any:
    """The options convert gives each reader (the user's, plus encoding and delimiter for
    tables); notices were reported when the data was converted."""

    def options_for(kind: str) -> dict[str, Any]:
        options = dict(opts.source_options)
        if kind in TABULAR:
            options.update(encoding=opts.encoding, delimiter=opts.delimiter, notices=[])
        return options

    return options_for


def short_source(source: str) -> str:
    """``data/tickets.csv:row 3`` -> ``tickets.csv:row 3`` (sources converted from another
    working directory name their file by another relative path)."""
    path, sep, where = source.rpartition(":")
    return f"{Path(path).name}{sep}{where}" if sep else source


class TemplateStrategy:
    """Variants from alternative prompt templates (see the module docstring)."""

    name = "template"

    def __init__(
        self,
        settings: Settings,
        templates: tuple[str, ...],
        originals: dict[int, Original],
        profile: ModelProfile | None,
        seed: int,
    ) -> None:
        self.templates = templates
        self.seed = seed
        self.alternatives = [
            compile_template(f"augment template {i}", source)
            for i, source in enumerate(templates, 1)
        ]
        self.unmatched = 0
        self.changed = 0
        self.failed = 0
        wanted = {str(o.meta["source"]) for o in originals.values() if o.meta.get("source")}
        self.rows: dict[str, tuple[str, list[str | None]]] = {}
        self.short: dict[str, tuple[str, list[str | None]] | None] = {}
        jobs = convert_jobs(settings)
        if wanted:
            self._read(jobs, settings, profile, wanted)

    def _read(
        self,
        jobs: list[ConvertOptions],
        settings: Settings,
        profile: ModelProfile | None,
        wanted: set[str],
    ) -> None:
        shorts = {short_source(s) for s in wanted}
        for opts in jobs:
            prompt = self._prompt(opts, settings, profile)
            for item in iter_items(plan(opts.inputs, opts.source), _reader_options(opts)):
                if not isinstance(item, SourceRow):
                    continue
                short = short_source(item.source)
                if item.source not in wanted and short not in shorts:
                    continue
                try:
                    rendered = (prompt.text(item.fields), self._render(item.fields))
                except RowError:
                    continue
                if item.source in wanted:
                    self.rows[item.source] = rendered
                # The short form is used only where it names one row.
                self.short[short] = None if short in self.short else rendered

    def _prompt(
        self, opts: ConvertOptions, settings: Settings, profile: ModelProfile | None
    ) -> Template:
        target = opts.to or default_target(settings.model_profile(opts.model) or profile)
        mapping = build_mapping(opts, target, settings.model_profile(opts.model) or profile)
        if mapping.prompt is None:
            raise ConfigError(
                "augment --strategy template: [convert] has no prompt template to replace",
                hint="set [convert] prompt = ... (records converted from chat records have none)",
            )
        return mapping.prompt

    def _render(self, fields: dict[str, Any]) -> list[str | None]:
        out: list[str | None] = []
        for template in self.alternatives:
            try:
                out.append(template.text(fields))
            except RowError:
                self.failed += 1
                out.append(None)
        return out

    def candidates(self, original: Original) -> Iterator[Candidate]:
        source = original.meta.get("source")
        entry = None
        if source:
            entry = self.rows.get(str(source)) or self.short.get(short_source(str(source)))
        if entry is None:
            self.unmatched += 1
            return
        base, alternatives = entry
        segment = next((s for s in original.segments if s.text == base), None)
        if segment is None:
            self.changed += 1
            return
        n = len(alternatives)
        salt = f"{self.seed}\x00{original.id}".encode("utf-8", "surrogatepass")
        start = int.from_bytes(blake2b(salt, digest_size=8).digest(), "big") % n
        for k in (*range(start, n), *range(start)):
            text = alternatives[k]
            if text is None or text == base:
                continue
            changes = {segment.path: text}
            detail = f"prompt template {k + 1} of {n}: {self.templates[k]!r}"
            yield Candidate(with_texts(original.obj, changes), self.name, detail, changes)

    def notes(self) -> list[str]:
        out = []
        if self.unmatched:
            out.append(
                f"template: {self.unmatched:,} originals have no source row in the [convert] "
                "sources (not converted by fineprep, or converted from other files)"
            )
        if self.changed:
            out.append(
                f"template: {self.changed:,} originals no longer match their source row's "
                "prompt (edited after conversion): left alone"
            )
        if self.failed:
            out.append(f"template: {self.failed:,} renderings failed (a field a row lacks)")
        return out
