"""The check stage: the streaming engine, its run state, and the rules in :mod:`.rules`.

The engine reads each file once, parses every line, builds the record's view and hands it to
every enabled check; dataset checks keep compact mergeable state and report in ``finish``.
Also here: selection (``--select``/``--ignore``), the result cache, ``--fix``, the literal scan
shared by the text checks, and the MinHash/LSH machinery of D003/D004.

May import: fineprep.core, fineprep.formats, fineprep.io, fineprep.tokens, fineprep.engines.
"""
