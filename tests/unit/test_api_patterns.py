"""The API's string patterns are checked in linear time, and to the same strings botocore's
service model means: a long job name of dashes must not hang validation."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import fineprep
from fineprep.stages.launch.validate import JOB_NAME_PATTERN, _input_shape, api_pattern

#: Characters that exercise every branch of the jobName pattern (and some it refuses).
ALPHABET = "aZ0-+._ "


def test_the_table_names_the_service_models_pattern() -> None:
    """If botocore changes the pattern, the linear form must be proven again."""
    assert _input_shape().members["jobName"].metadata["pattern"] == JOB_NAME_PATTERN


def test_linear_job_name_matches_the_same_short_strings() -> None:
    original, linear = re.compile(JOB_NAME_PATTERN), api_pattern(JOB_NAME_PATTERN)
    assert linear.pattern != original.pattern
    for n in range(7):
        for chars in itertools.product(ALPHABET, repeat=n):
            text = "".join(chars)
            assert bool(linear.fullmatch(text)) == bool(original.fullmatch(text)), text


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=ALPHABET + "é\n", max_size=14))
def test_linear_job_name_agrees_with_the_original(text: str) -> None:
    assert bool(api_pattern(JOB_NAME_PATTERN).fullmatch(text)) == bool(
        re.fullmatch(JOB_NAME_PATTERN, text)
    )


WORST_CASES = textwrap.dedent(
    """
    from fineprep.stages.launch.validate import _input_shape, api_problem

    base = {
        "jobName": "j", "customModelName": "m",
        "baseModelIdentifier": "amazon.nova-lite-v1:0:300k",
        "trainingDataConfig": {"s3Uri": "s3://bucket/train.jsonl"},
        "outputDataConfig": {"s3Uri": "s3://bucket/out/"},
    }
    shape = _input_shape()
    for field in ("jobName", "customModelName", "clientRequestToken", "baseModelIdentifier",
                  "customModelKmsKeyId"):
        top = int(shape.members[field].metadata.get("max", 2048))
        for run in ("-", "-a", "a-", "_", ".", "a.", ":", "a"):
            text = ("a" + run * top)[: top - 1] + "_"
            problem = api_problem({**base, field: text})
            if field == "jobName":
                assert problem and "jobName" in problem, (text, problem)
    print("done")
    """
)


def test_worst_case_names_are_refused_quickly() -> None:
    """A 63-character "a---...-_" never finished before; run in a child process with a
    generous timeout, so that a slow machine does not make this flaky."""
    src = str(Path(fineprep.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-c", WORST_CASES],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"
