"""The command-line interface: one module per command, shared options in :mod:`.options`.

The only layer that imports click; commands import the stages lazily inside their functions,
so ``fineprep --help`` and the pre-commit hook start fast.

May import: everything.
"""
