"""The job AWS documents for reinforcement fine-tuning of open-weight models.

AWS documents RFT of its open-weight models (gpt-oss, Qwen3) through Bedrock's
OpenAI-compatible API: the prompts are uploaded with the Files API (purpose ``fine-tune``) and
the job is ``POST https://bedrock-mantle.REGION.api.aws/v1/fine_tuning/jobs`` with
``method.reinforcement.grader.lambda.function`` (the pages ``fine-tuning-openai-apis``,
``fine-tuning-openai-job-create`` and ``rft-prepare-data-open-weight``), while the
``CreateModelCustomizationJob`` route is documented for Nova 2 Lite. fineprep checks and
grades the data the same way for both; for an open-weight model it also writes that job's body
(``job-request.openai.json``) and says which route the pages document, so a request the API
may not take is never presented as the only way.
"""

from __future__ import annotations

from typing import Any

from fineprep.core.profiles import ModelProfile

OPENAI_JOB_NAME = "job-request.openai.json"
#: RFT hyperparameters of CreateModelCustomizationJob and their names in the OpenAI job body;
#: the others (learningRate is not learning_rate_multiplier) have no documented counterpart.
_NAMES = {"epochCount": "n_epochs", "batchSize": "batch_size"}
#: Where the file id goes: the Files API returns it for the uploaded training file.
FILE_ID = "FILE_ID (the id the Files API returns for the training file, purpose fine-tune)"


def openai_route(profile: ModelProfile | None) -> bool:
    """Whether the pages document this model's RFT jobs through the OpenAI-compatible API."""
    return profile is not None and profile.job_api == "openai"


def openai_job(request: dict[str, Any]) -> dict[str, Any]:
    """The ``/v1/fine_tuning/jobs`` body for an RFT ``request`` (CreateModelCustomizationJob
    shape): the model, the grader Lambda and the hyperparameters that have a name there."""
    rft = request.get("customizationConfig", {}).get("rftConfig", {})
    arn = rft.get("graderConfig", {}).get("lambdaGrader", {}).get("lambdaArn")
    chosen = rft.get("hyperParameters", {})
    hyperparameters = {_NAMES[k]: v for k, v in chosen.items() if k in _NAMES}
    reinforcement: dict[str, Any] = {"grader": {"type": "lambda", "lambda": {"function": arn}}}
    if hyperparameters:
        reinforcement["hyperparameters"] = hyperparameters
    return {
        "model": request["baseModelIdentifier"],
        "training_file": FILE_ID,
        "method": {"type": "reinforcement", "reinforcement": reinforcement},
    }


def route_note(profile: ModelProfile, region: str, written: str | None = None) -> str:
    """One line: the route AWS documents for this model, and what fineprep wrote for it."""
    body = f"; its job body is in {written}" if written else ""
    return (
        f"AWS documents reinforcement fine-tuning of {profile.name} through Bedrock's "
        "OpenAI-compatible API (upload the prompts with the Files API, purpose fine-tune, then "
        f"POST https://bedrock-mantle.{region}.api.aws/v1/fine_tuning/jobs){body}; "
        "CreateModelCustomizationJob is documented for Nova 2 Lite"
    )
