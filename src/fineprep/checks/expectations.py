"""G001: great-expectations suites run on the source table before conversion.

The findings come from ``fineprep convert --expectations SUITE`` (the check engine only sees
JSONL, and a null cell or an unknown label is easiest to fix in the table it came from), so
this module declares the rule and no per-record check.
"""

from __future__ import annotations

from fineprep.checks.base import rule

G001 = rule(
    "G001",
    "source-expectation",
    "error",
    "a great-expectations expectation failed on the source table (row, column)",
    what=(
        "Before converting, `fineprep convert --expectations SUITE.json` validates the source "
        "table (CSV, Parquet, JSON...) with a great-expectations 1.x suite: non-null columns, "
        "allowed labels, text lengths, row counts. Each failing cell is reported with its "
        "source row (`reviews.csv:row 17`, the header being row 1) and column; an expectation "
        "about the whole table (a row count, a missing column) is reported without a row."
    ),
    why=(
        "A null prompt, a misspelt label or an empty answer becomes a training record that "
        "teaches the wrong thing, and after conversion it is far from the spreadsheet row a "
        "labeller would fix. Rows that fail an expectation are written to the rejects file "
        "with the reason instead of being converted; a failed table-level expectation stops "
        "the conversion before anything is written."
    ),
    example=(
        "reviews.csv:row 17: G001 [error] expect_column_values_to_be_in_set failed on column "
        "'label': value 'postive' (value_set ['negative', 'neutral', 'positive'])"
    ),
    fix=(
        "Correct the cell in the source table and convert again, or change the suite if the "
        "expectation is wrong. The suite is `expectations` in [tool.fineprep.convert]; "
        "schemas/expectations/labelled-prompt-completion.json is a starting point, and "
        "`labels` in config fills its allowed-label set. Needs the extra: "
        "pip install 'fineprep[gx]'."
    ),
)
