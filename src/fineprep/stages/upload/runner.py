"""``fineprep upload``: put a checked dataset into S3, verified, with a manifest and job request.

The order is what makes an upload trustworthy. Everything that can be decided locally comes
first (the data is re-checked against the model and the kind of job it is for, every S3 URI
against Bedrock's pattern), then what needs S3 without writing (bucket region, media objects);
only a dataset without errors (or with ``--force``) is sent. Objects already stored with the
same SHA-256 and the same encryption (algorithm and KMS key) are skipped, so a rerun after a
failure sends only what is missing or changed; multipart uploads an earlier run left open
under the destination are aborted first. ``manifest.json`` goes last: if it exists, the upload
completed; a failed upload writes none, removes a stale one first, and removes its own when
its read-back fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

import fineprep.stages.check.rules.outside  # noqa: F401  (registers U001-U004)
from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError, UploadError
from fineprep.core.model import Finding, Location, Severity
from fineprep.core.results import Result
from fineprep.core.s3uri import S3Uri, parse_s3_uri, uri_problem
from fineprep.io.aws import bucket_region, make_client
from fineprep.stages.check.state import CheckResult
from fineprep.stages.launch.openai_job import OPENAI_JOB_NAME, openai_job, openai_route, route_note
from fineprep.stages.launch.request import JobOptions, build_request, job_type
from fineprep.stages.launch.validate import DISTILLATION
from fineprep.stages.upload.digest import (
    Digest,
    TransferSettings,
    bytes_digest,
    encrypted_as,
    file_digest,
    file_stamp,
    head,
    matches,
    same_checksum,
)
from fineprep.stages.upload.inputs import Inputs, LocalFile, Sink, check_inputs, resolve_inputs
from fineprep.stages.upload.job import check_with_job, distillation_job, rft_job
from fineprep.stages.upload.manifest import (
    JOB_REQUEST_NAME,
    MANIFEST_NAME,
    FileEntry,
    augmented_entry,
    build_manifest,
    check_summary,
    encode,
    read_split,
    split_model,
    token_entry,
    write_local,
)
from fineprep.stages.upload.options import UploadOptions, from_table, overlay
from fineprep.stages.upload.output_bucket import check_output_bucket
from fineprep.stages.upload.transfer import Progress as TransferProgress
from fineprep.stages.upload.transfer import Uploader

Progress = Callable[[str], None]


@dataclass
class UploadResult(Result):
    """What happened: the check (with U findings), and, unless refused, what was written."""

    check: CheckResult
    refused: bool = False
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    manifest_uri: str | None = None
    manifest_path: Path | None = None
    job_request: dict[str, Any] | None = None
    job_request_path: Path | None = None
    #: ``dry_run=True``: what a real run would send (nothing was).
    plan: list[Any] = field(default_factory=list)


def upload(
    paths: str | Path | list[str | Path],
    to: str | None = None,
    *,
    model: str | None = None,
    config: str | Path | None = None,
    isolated: bool = False,
    settings: Settings | None = None,
    validation: list[str | Path] | None = None,
    test: list[str | Path] | None = None,
    job: JobOptions | None = None,
    s3_client: Any = None,
    progress: Progress | None = None,
    transfer_progress: TransferProgress | None = None,
    dry_run: bool = False,
    **options: Any,
) -> UploadResult:
    """Check, upload and verify a dataset; write manifest.json and job-request.json.

    ``options`` are :class:`UploadOptions` fields (``force=True``, ``kms_key_id=...``).
    ``progress`` receives one line per event; ``transfer_progress(key, sent, total)`` bytes.
    Raises UploadError on S3 failures; returns ``refused=True`` when findings block it.
    """
    say = progress or (lambda _msg: None)
    settings = replace(settings) if settings else load_settings(config, isolated=isolated)
    opts = overlay(
        from_table(UploadOptions, settings.sections.get("upload", {}), "[upload]"),
        UploadOptions(**options),
        UploadOptions(to=to),
    )
    job_opts = overlay(
        JobOptions(hyperparameters=dict(settings.hyperparameters)),
        from_table(JobOptions, settings.sections.get("job", {}), "[job]"),
        job,
    )
    job_opts = rft_job(job_opts, settings, job)
    check_with_job(settings, job_opts)
    if not opts.to:
        raise ConfigError("no destination", hint="pass --to s3://bucket/prefix/ or set [upload] to")
    dest = parse_s3_uri(opts.to)
    if dest.key and not dest.key.endswith("/"):
        dest = S3Uri(dest.bucket, dest.key + "/")
    items = [paths] if isinstance(paths, (str, Path)) else paths
    inputs = resolve_inputs(
        [str(p) for p in items],
        [str(p) for p in validation or []],
        [str(p) for p in test or []],
        settings,
        sidecars=opts.sidecars is not False,
    )
    if opts.output_dir:
        inputs.out_dir = Path(opts.output_dir)
    split = read_split(inputs.split_path) if inputs.split_path else None
    settings.model = model or split_model(split) or settings.model
    if not settings.model:
        raise ConfigError("no model", hint="pass --model (see `fineprep models`)")
    if job_type(job_opts, settings.format) == DISTILLATION:  # checked as distillation data
        job_opts = distillation_job(job_opts, settings, job, say)
    owner, sse, transfer = opts.owner(), opts.sse(), opts.transfer()
    stamps = {f.path: file_stamp(f.path) for f in inputs.files}
    result = check_inputs(inputs, settings)
    profile = result.profile
    assert profile is not None  # settings.model is set
    sink = Sink(result)
    output_uri = str(dest.child("output/"))
    targets = [(f, str(dest.child(f.name))) for f in inputs.files]
    for where, uri in [*((str(f.path), u) for f, u in targets), (str(dest), output_uri)]:
        problem = uri_problem(uri, profile)
        if problem:
            sink("U001", f"{uri} {problem}", Location(where), {"uri": uri})
    train = inputs.data("train")[0]
    fmt = _file(result, train).format or settings.format or profile.formats[0]
    val_uri = next((u for f, u in targets if f.role == "validation"), None)
    train_uri = str(dest.child(train.name))
    region = ""
    blocked = any(f.code == "U001" and f.severity is Severity.ERROR for f in result.findings)
    if not blocked:  # fail on a bad job option before anything is sent
        build_request(
            profile,
            fmt,
            train_uri=train_uri,
            validation_uri=val_uri,
            output_uri=output_uri,
            options=job_opts,
            data_digest="",
        )
    s3 = s3_client
    if not blocked:  # read-only S3 checks: the bucket's region, the media objects
        s3 = s3 or make_client("s3", opts.aws(profile.region))
        region = bucket_region(s3, dest.bucket, owner)
        if region not in profile.regions:
            sink(
                "U004",
                f"bucket {dest.bucket} is in {region}; {profile.name} is customized only in "
                f"{', '.join(profile.regions)}",
                Location(f"s3://{dest.bucket}/"),
                {"bucket_region": region, "model_regions": list(profile.regions)},
            )
        check_output_bucket(s3, job_opts.output_uri, dest.bucket, region, sink, say)
        if opts.verify_media:
            from fineprep.stages.upload.media import collect, verify_media

            refs = collect([(str(f.path), _file(result, f).format) for f in inputs.data()], profile)
            count = verify_media(refs, dest.bucket, profile, s3, sink)
            say(f"checked {count:,} media object{'s' if count != 1 else ''} in S3")
    result.findings.sort(key=Finding.sort_key)
    out = UploadResult(result)
    if blocked or (result.exit_code and not opts.force):
        out.refused = True
        return out
    for f in inputs.files:
        if file_stamp(f.path) != stamps[f.path]:
            raise UploadError(f"{f.path}: changed while being checked", hint="run upload again")
    if dry_run:  # reads only (HEAD): nothing is put, deleted or written locally
        from fineprep.stages.upload.plan import plan

        out.plan = plan(s3, dest.bucket, owner, targets, transfer, sse)
        out.manifest_uri = str(dest.child(MANIFEST_NAME))
        out.manifest_path, out.job_request_path = (inputs.out_dir / n for n in _LOCAL)
        return out
    up = Uploader(
        s3, dest.bucket, sse=sse, owner=owner, settings=transfer, progress=transfer_progress
    )
    aborted = up.abort_incomplete(dest.key)
    if aborted:
        plural = "s" if len(aborted) != 1 else ""
        keys = ", ".join(sorted(set(aborted))[:3])
        say(f"aborted {len(aborted):,} incomplete multipart upload{plural} under {dest} ({keys})")
    entries = _send(up, targets, transfer, dest, inputs, out, say)
    for entry, (f, _) in zip(entries, targets, strict=True):
        if f.role in ("train", "validation", "test"):
            state = _file(result, f)
            entry.records, entry.format = state.records, state.format
            entry.augmented = augmented_entry(state.augmented)
            entry.tokens = token_entry(result, state.path)
    data_digest = hashlib.sha256("".join(e.sha256 for e in entries).encode()).hexdigest()
    request = build_request(
        profile,
        fmt,
        train_uri=train_uri,
        validation_uri=val_uri,
        output_uri=output_uri,
        options=job_opts,
        data_digest=data_digest,
    )
    request_bytes = encode(request, "job-request")
    out.manifest = build_manifest(
        profile=profile,
        fmt=fmt,
        destination=str(dest),
        bucket_region=region,
        owner=owner.get("ExpectedBucketOwner"),
        encryption={"algorithm": sse["ServerSideEncryption"], "kms_key_id": opts.kms_key_id},
        files=entries,
        split=split,
        check=check_summary(result, forced=bool(result.exit_code)),
        config_hash=settings.config_hash,
        job_request={"path": JOB_REQUEST_NAME, "sha256": hashlib.sha256(request_bytes).hexdigest()},
    )
    data = encode(out.manifest, "manifest")
    key = dest.child(MANIFEST_NAME).key
    stored = head(s3, dest.bucket, key, owner)
    if (
        stored is None
        or not same_checksum(stored.checksum, bytes_digest(data))
        or not encrypted_as(stored, sse)
    ):
        up.put_bytes(data, key, "application/json")  # read back; removed again if that fails
    out.job_request, out.job_request_path = request, inputs.out_dir / JOB_REQUEST_NAME
    write_local(out.job_request_path, request_bytes)
    if openai_route(profile):
        openai_path = inputs.out_dir / OPENAI_JOB_NAME
        body = orjson.dumps(openai_job(request), option=orjson.OPT_INDENT_2) + b"\n"
        write_local(openai_path, body)
        say(route_note(profile, region, str(openai_path)))
    out.manifest_uri = str(dest.child(MANIFEST_NAME))
    out.manifest_path = inputs.out_dir / MANIFEST_NAME
    write_local(out.manifest_path, data)
    say(f"manifest {out.manifest_uri} and {out.manifest_path}")
    return out


_LOCAL = (MANIFEST_NAME, JOB_REQUEST_NAME)


def _file(result: CheckResult, f: LocalFile) -> Any:
    return next(s for s in result.files if s.path == str(f.path))


def _send(
    up: Uploader,
    targets: list[tuple[LocalFile, str]],
    transfer: TransferSettings,
    dest: S3Uri,
    inputs: Inputs,
    out: UploadResult,
    say: Progress,
) -> list[FileEntry]:
    """Skip what is stored already; upload the rest. A stale manifest is removed before the
    first object changes, so no manifest ever describes objects it does not match."""
    plan: list[tuple[LocalFile, str, Digest | None, str | None]] = []
    for f, uri in targets:
        key = parse_s3_uri(uri).key
        stored = head(up.client, up.bucket, key, up.owner)
        same = matches(stored, f.path, transfer, up.sse)
        plan.append((f, uri, same, stored.version_id if stored and same else None))
    if any(same is None for _, _, same, _ in plan):
        up.delete(dest.child(MANIFEST_NAME).key)
        (inputs.out_dir / MANIFEST_NAME).unlink(missing_ok=True)
        (inputs.out_dir / JOB_REQUEST_NAME).unlink(missing_ok=True)
    entries = []
    for f, uri, same, version in plan:
        key = parse_s3_uri(uri).key
        if same is not None:
            digest = same
            out.skipped.append(uri)
            say(f"skipped {uri}: already stored with the same SHA-256 checksum")
        else:
            digest, version = up.put_file(f.path, key)
            out.uploaded.append(uri)
            parts = f", {digest.checksum.rsplit('-', 1)[1]} parts" if digest.part_size else ""
            say(f"uploaded {uri} ({digest.size:,} bytes{parts}; sha256 {digest.sha256[:16]}...)")
        entries.append(
            FileEntry(
                f.role,
                f.name,
                uri,
                digest.sha256,
                digest.checksum,
                digest.part_size,
                digest.size,
                version,
                of=f.of,
            )
        )
    return entries


__all__ = ["UploadOptions", "UploadResult", "file_digest", "rft_job", "upload"]
