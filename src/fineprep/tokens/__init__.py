"""Token counts: tokenizers, the bounds that make counting rare, and the counting workers.

Both convert (chunking documents by a token budget) and check (token limits, statistics) count
tokens, so the tokenizers live below both stages rather than inside either.

May import: fineprep.core, fineprep.formats, fineprep.io.
"""
