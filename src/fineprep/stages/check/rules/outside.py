"""Rules whose findings other stages emit: G001 (convert) and U001-U004 (upload).

No record check emits these. ``fineprep convert --expectations SUITE`` reports G001 on the
source table (the check engine only sees JSONL, and a null cell or an unknown label is easiest
to fix in the table it came from); ``fineprep upload`` reports the U codes
(:mod:`fineprep.stages.upload.runner`), because deciding them needs the destination and, for
U002-U004, S3 itself. They are declared with the catalogue so that ``fineprep explain``,
selection, SARIF rule help and the reports know them.
"""

from __future__ import annotations

from fineprep.core.rules import rule

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

rule(
    "U001",
    "s3-key",
    "error",
    "S3 key not accepted by Bedrock's URI pattern",
    what="An S3 URI that the upload would create (a data file, its sidecar, the manifest or the "
    "job's output location) does not match the pattern CreateModelCustomizationJob accepts: "
    "bucket `[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]`, key segments of letters, digits and "
    "`- ! _ * ' ( ) .` only, at most 1,024 characters. Nova models also refuse anything "
    "outside `[A-Za-z0-9_-/.]` in file names and paths. Checked before any request is sent.",
    why="Bedrock rejects the job request with 'The provided S3 URI is invalid' only after the "
    "data has been uploaded, so the upload would be wasted.",
    example="--to s3://my-data/runs/2024 06 01/ (spaces) or s3://my-data/run=3/train.jsonl (=)",
    fix="Choose a prefix (and file names) made of letters, digits, '-', '_' and '.', e.g. "
    "--to s3://my-data/runs/2024-06-01/.",
)
rule(
    "U002",
    "media-bucket",
    "error",
    "media not in the dataset's bucket (Nova)",
    what="An image or video referenced by a record lives in a different S3 bucket than the "
    "dataset file, for a model that requires them to share a bucket (Nova). Checked with "
    "`fineprep upload --verify-media`.",
    why="Nova customization reads media only from the bucket that holds the training file; the "
    "job fails after it has started.",
    example='{"image": {"source": {"s3Location": {"uri": "s3://other-bucket/img/1.png"}}}} '
    "uploaded to s3://my-data/runs/1/",
    fix="Copy the media into the dataset's bucket (aws s3 sync) and rewrite the URIs, or upload "
    "the dataset to the bucket that holds the media.",
)
rule(
    "U003",
    "media-missing",
    "error",
    "referenced S3 object does not exist",
    what="An image or video URI in a record (image/video `s3Location.uri`, image-caption "
    "`image-ref`) names an S3 object that does not exist, or that your credentials cannot "
    "read. Checked with `fineprep upload --verify-media` (one HEAD request per distinct URI).",
    why="Bedrock fails the job when it cannot read a referenced object, typically hours into "
    "data processing; a typo in one key costs the whole run.",
    example='"uri": "s3://my-data/images/inv-0001.PNG" when the object is inv-0001.png',
    fix="Upload the missing object or correct the URI (keys are case-sensitive). If the object "
    "exists, grant s3:GetObject on it to you and to the job's service role.",
)
rule(
    "U004",
    "region-mismatch",
    "error",
    "bucket region differs from the model's region",
    what="The destination bucket, or the bucket of `--output-uri`, is in a region where the "
    "model cannot be customized, or not in the job's region (Nova: us-east-1; Claude 3 Haiku "
    "and Llama: us-west-2; see `fineprep models --show MODEL`).",
    why="The customization job runs in the model's region and must read the data from a bucket "
    "in the same region; otherwise it fails with 'Could not validate GetObject permissions'.",
    example="uploading Nova Lite data to a bucket in eu-west-1",
    fix="Upload to a bucket in the model's region (create one there if needed).",
)
rule(
    "U005",
    "media-limit",
    "error",
    "an image or video over the model's size, pixel, aspect-ratio or duration limit",
    what="A referenced image or video breaks one of the model's media limits: its size (Nova: "
    "10 MB per image, 50 MB per video; Nova Canvas and Titan Image: 50 MB), its pixels (Nova "
    "Canvas and Titan Image Generator: 512-4,096 px a side, at most 12,582,912 pixels, aspect "
    "ratio 1:4 to 4:1; Llama 3.2 vision: 10-8,192 px a side) or its length (Nova: 90 s). "
    "Checked from the object itself with `fineprep upload --verify-media` (its size from a "
    "HEAD request, pixels and length from a ranged read of its header), and from local files "
    "at convert time. The finding gives the value and the limit.",
    why="Bedrock reads the media only when the job runs, and fails the job (or the record) "
    "then, after the data was uploaded and the job queued.",
    example="media s3://data/img/7.png: image is 300x2000 px; Amazon Nova Canvas needs at "
    "least 512 px on each side",
    fix="Resize, re-encode or trim the media (keeping the record's meaning), or drop the "
    "record; the limits and their sources are in `fineprep models --show MODEL`.",
)
