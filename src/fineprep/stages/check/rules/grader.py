"""R: the reward function (grader) of a reinforcement fine-tuning job, dry-run before the job.

``fineprep grade`` emits these (:mod:`fineprep.stages.grade`): no record check does, because
deciding them means calling the grader. They are declared with the catalogue so that
``fineprep explain``, selection, SARIF rule help and the reports know them.
"""

from __future__ import annotations

from fineprep.core.rules import rule

_RUN = "Run `fineprep grade DATASET --grader path/to/grader.py:lambda_handler` (or the ARN)"

rule(
    "R001",
    "grader-error",
    "error",
    "the grader raised an exception or crashed on a record",
    what="The reward function failed while scoring the records of a batch: it raised an "
    "exception, or its process died. fineprep then calls it once per record of the failed batch "
    "to name the records it fails on (line, exception type and message, last traceback line). "
    "A Lambda that kept refusing the call (throttled, or a transient service error) after "
    "fineprep's retries is R001 on each record of the batch, with Lambda's error code.",
    why="During the job Bedrock calls the grader for every sampled response; a grader that "
    "raises on one shape of record fails or stalls a training job that has already been paid "
    "for, usually hours in.",
    example="train.jsonl:37: R001 [error] grader raised KeyError: 'answer' (grader.py line 12)",
    fix="Fix the grader for the record named (often a missing field in metadata, a "
    "reference_answer of another type, or a response it cannot parse), then grade again. "
    + _RUN
    + " until no R001 is left.",
)
rule(
    "R002",
    "grader-timeout",
    "error",
    "a batch took longer than the grader Lambda's timeout",
    what="A call of the grader did not return within the timeout (`--timeout`, default the "
    "Lambda default of 3 seconds; at most 15 minutes). A local grader runs in its own process, "
    "which is stopped at the limit, so a hanging grader cannot hang fineprep.",
    why="Lambda stops a function at its timeout: every batch that takes longer is a failed "
    "reward call during training.",
    example="train.jsonl:1: R002 [error] batch of 4 records (lines 1-4) did not finish in 3 s",
    fix="Make the grader faster (cache clients outside the handler, avoid per-record model "
    "calls), or raise the function's timeout (up to 900 s) and pass the same --timeout.",
)
rule(
    "R003",
    "grader-output-shape",
    "error",
    "the grader's answer is not the list of {id, aggregate_reward_score, metrics_list} Bedrock "
    "reads",
    what="What the grader returned for a batch is not a JSON list with one object per record "
    "of the batch, each with the record's `id`, a finite number in `aggregate_reward_score` and "
    "(if present) a `metrics_list` of objects with `name` and a numeric `value`: missing or "
    "unknown ids, duplicates, a score that is a string, null, NaN or infinite.",
    why="Bedrock cannot use a reward it cannot read: the sample gets no reward or the job fails.",
    example='train.jsonl:3: R003 [error] aggregate_reward_score is "0.8" (a string), not a number',
    fix="Return `[{'id': sample['id'], 'aggregate_reward_score': float(score), 'metrics_list': "
    "[...]} for sample in event]`, one item per item of the event, ids unchanged.",
)
rule(
    "R004",
    "score-out-of-range",
    "error",
    "a score outside the range the grader is declared to produce",
    what="With `--score-range LOW,HIGH` (config `[rft] score-range`), a record whose "
    "aggregate_reward_score lies outside it.",
    why="A reward outside its intended scale usually means a bug in the grader (a sum where a "
    "mean was meant, a percentage where a fraction was), and it distorts the advantages GRPO "
    "computes from the scores.",
    example="train.jsonl:8: R004 [error] score 12.0 is outside the declared range 0-1",
    fix="Clamp or normalise the score in the grader, or declare the range it really has.",
)
rule(
    "R005",
    "reference-not-top-score",
    "warning",
    "the reference answer, given as the model's response, does not get the top score",
    what="Graded with its own reference answer as the response, a record scores below the top "
    "of the declared score range (or, without one, below the highest score any record got).",
    why="If the expected answer itself is not rewarded fully, the grader will not reward the "
    "model for producing it: a parsing bug, a wrong field name, or a reference answer in a "
    "format the grader does not expect.",
    example="train.jsonl:12: R005 [warning] reference answer scores 0.0; the top score is 1.0",
    fix="Check the grader's comparison on the record named (formatting, case, numbers as "
    "strings) or fix the reference answer. Ignore R005 when responses come from --responses.",
)
rule(
    "R006",
    "grader-slow",
    "warning",
    "a batch took over 80% of the grader Lambda's timeout",
    what="A call of the grader that finished, but took more than 80% of the timeout.",
    why="Latency varies in Lambda (cold starts, judge-model calls): a batch this close to the "
    "limit will time out during training sooner or later.",
    example="train.jsonl:5: R006 [warning] batch of 4 records took 2.7 s (timeout 3 s)",
    fix="Make the grader faster or raise the function's timeout.",
)
rule(
    "R007",
    "score-stats",
    "info",
    "score distribution of the graded records (mean, min, max, histogram)",
    what="How the grader scored the dataset: records graded, mean, minimum, maximum, "
    "percentiles and a histogram (a chart in the HTML report), with the batches' latency.",
    why="A reward function is only useful if its scores tell responses apart; the distribution "
    "shows at a glance whether they do.",
    example="train.jsonl: R007 [info] 120 records graded: mean 0.82, min 0.0, max 1.0",
    fix="Nothing to fix: this is information.",
)
rule(
    "R008",
    "constant-scores",
    "warning",
    "every graded candidate response got the same score",
    what="Grading candidate responses (--responses), all records received one and the same "
    "aggregate_reward_score. (With the reference answers as responses the same top score for "
    "every record is the goal, so R008 is not reported then.)",
    why="RFT learns from differences between the scores of responses to a prompt: a grader "
    "that returns a constant gives no signal, and the job trains nothing.",
    example="train.jsonl: R008 [warning] all 120 graded records scored 1.0",
    fix="Check that the grader reads the model's response (the last assistant message) and "
    "compares it with metadata.reference_answer; grade candidate responses of varying quality "
    "with --responses to see the scores spread.",
)
rule(
    "R009",
    "not-gradable",
    "error",
    "a record that cannot be sent to the grader (not an RFT prompt)",
    what="A line that is not an RFT prompt as `fineprep check --format rft` reads one (not a "
    "JSON object, no `messages` or `reference_answer`, or any error of the RFT record walker: "
    "no user turn, a trailing assistant answer, an empty reference answer), or a --responses "
    'line that is not a string or {"response": string}. The message names the check code.',
    why="Bedrock rejects such records before training; grading them would only test the "
    "grader on data that never reaches it.",
    example="train.jsonl:4: R009 [error] S004: reference_answer is empty (null): the grader has "
    "nothing to compare the model's answer with: not graded",
    fix="Run `fineprep check --format rft` on the dataset and fix the records it reports.",
)
