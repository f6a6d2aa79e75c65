"""The bucket of the job's output URI: it must exist, in the region the job runs in.

A customization job runs in one region and needs its S3 buckets there (bedrock-facts §5.4,
the Bedrock prerequisites page); the job's region is the one the data bucket is in, since
the training data must be read there too. The destination bucket is checked before the
upload (U004); an output URI in another bucket (``--output-uri``, ``[job] output-uri``) gets
the same check, or else the job fails only once Bedrock tries to write its results. Where the
bucket cannot be inspected (access denied: it may well be someone else's bucket the role can
write to) that is said, not taken for an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fineprep.core.errors import UploadError
from fineprep.core.model import Location
from fineprep.core.s3uri import parse_s3_uri
from fineprep.io.aws import aws_error, error_code

_DENIED = {"AccessDenied", "AllAccessDisabled"}
_MISSING = {"NoSuchBucket"}

Sink = Callable[[str, str, Location, dict[str, Any]], None]


def check_output_bucket(
    s3: Any,
    output_uri: str | None,
    data_bucket: str,
    data_region: str,
    sink: Sink,
    say: Callable[[str], None],
) -> None:
    """U004 when the output bucket is in another region than the data bucket; an UploadError
    when it does not exist; a note when it cannot be read."""
    if not output_uri:
        return
    bucket = parse_s3_uri(output_uri).bucket
    if bucket == data_bucket:
        return
    from botocore.exceptions import BotoCoreError, ClientError

    action = f"output URI {output_uri}: reading the region of bucket {bucket}"
    try:
        resp = s3.get_bucket_location(Bucket=bucket)
    except ClientError as exc:
        code = error_code(exc) or ""
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _DENIED or status == 403:
            say(
                f"note: could not check the region of output bucket {bucket} ({code or status}); "
                f"it must be in {data_region}, as the job is"
            )
            return
        if code in _MISSING or status == 404:
            raise UploadError(
                f"output URI {output_uri}: bucket {bucket} does not exist",
                hint=f"create it in {data_region}, or leave out --output-uri to write the "
                "output under the destination",
            ) from None
        raise aws_error(exc, action) from None
    except BotoCoreError as exc:
        raise aws_error(exc, action) from None
    location = resp.get("LocationConstraint") or "us-east-1"
    region = "eu-west-1" if location == "EU" else str(location)
    if region != data_region:
        sink(
            "U004",
            f"output bucket {bucket} is in {region}; the job runs in {data_region}, where its "
            f"data bucket {data_bucket} is",
            Location(f"s3://{bucket}/"),
            {"bucket_region": region, "job_region": data_region, "output_uri": output_uri},
        )
