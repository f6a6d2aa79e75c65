"""Source readers for tables and JSON (CSV, Parquet/Arrow, JSON/JSONL) and the dispatcher
that picks a reader per input (:mod:`.detect`). Each reader yields rows or rejects, never drops.
"""
