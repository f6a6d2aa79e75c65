"""The augment stage: new records for the classes, or the whole set, that fall short of a
model's minimums or a quota, without touching the originals and without fooling the checks.

A strategy proposes variants of an original's prompt text (:mod:`.rules`: a rephrasing table;
:mod:`.template`: convert's prompt re-rendered with alternative templates; :mod:`.bedrock`: a
paraphrase from the Converse API, budgeted and checked); :mod:`.guard` keeps only variants
that are new, leave the answer alone and add no secret; :mod:`.produce` spreads them over the
originals of the classes that need them; :mod:`.write` copies the originals byte for byte and
appends the variants, each with a sidecar line naming its original (``augmented_from``), its
group and its strategy, so that ``split`` keeps it with its original and the checks count it
apart.

May import: fineprep.core, fineprep.formats, fineprep.io, fineprep.tokens, fineprep.engines,
fineprep.stages.check (the variants are judged by check's own identity, near-duplicate and
hygiene rules, and the output is checked) and fineprep.stages.convert (the template strategy
re-renders convert's prompt templates over convert's source rows, read-only).
"""
