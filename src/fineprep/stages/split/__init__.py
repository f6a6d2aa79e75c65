"""The split stage: a deterministic, stratified, group-aware train/validation/test split.

:mod:`.runner` puts the parts together: the input scan, the pure assignment (kept free of I/O
so its properties can be tested directly), strata, the writers and ``split.json``.

May import: fineprep.core, fineprep.formats, fineprep.io, fineprep.tokens, fineprep.engines, and
fineprep.stages.check (a split is judged by check's dataset rules: N, D004, B).
"""
