"""The parts of ``fineprep split``: assignment (pure), the input scan, and the writers.

:mod:`fineprep.splitter` puts them together; the assignment is kept free of I/O so that its
properties (determinism, group integrity, quotas, stability) can be tested directly.
"""
