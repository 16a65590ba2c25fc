"""One process of the burst benchmark: ``python -m bench.burst_child <scenario> [events]``.

``floor``: ``import boto3`` plus the AppStream and DynamoDB clients from one Session, then
its peak RSS. ``enforcer``: the real enforcer handler (``govbot.handlers.enforcer.handler``,
from the asset named by ``GOVBOT_BENCH_ASSET``) invoked with SQS batches of 10 records,
``events`` distinct violating grants in all (each on its own image), every AWS request
built, signed and parsed by botocore and answered in-process by ``bench.stand_in``; then
its peak RSS. Either way the last line on stderr is a JSON summary (the handler's own logs
go to stdout, as in Lambda).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any

from bench.coldstart_child import HUB, REGION, SAMPLE_EVENT, _Context, floor, sqs_batch
from bench.stand_in import AwsStandIn

BATCH_SIZE = 10  # the enforcer's SQS event source batch size


def _grant(n: int) -> dict[str, Any]:
    """The n-th violating grant: its own image and its own CloudTrail event id."""
    sample: dict[str, Any] = SAMPLE_EVENT
    detail = {
        **sample["detail"],
        "eventID": f"0b6a9c1e-0000-4000-8000-{n:012d}",
        "requestParameters": {
            **sample["detail"]["requestParameters"],
            "name": f"burst-{n}",
        },
    }
    return {**sample, "id": f"6f1c8b2e-0000-4000-8000-{n:012d}", "detail": detail}


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB.

    Linux's ``VmHWM`` (the high-water mark of this program's memory), not ``ru_maxrss``:
    the latter keeps the parent's peak across fork and exec, so a small child of a big
    benchmark process would report its parent's figure.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def enforcer_burst(events: int, policy_json: str) -> dict[str, Any]:
    """``events`` violating grants through the real handler; what it did and its peak RSS."""
    import boto3

    from govbot import wiring
    from govbot.handlers.enforcer import handler

    session = boto3.session.Session(region_name=REGION)
    stand_in = AwsStandIn(account=HUB, region=REGION, policy_json=policy_json)
    stand_in.install(session)
    wiring.configure(session=session)
    failed = 0
    start = time.perf_counter()
    for first in range(0, events, BATCH_SIZE):
        batch = [_grant(n) for n in range(first, min(first + BATCH_SIZE, events))]
        result = handler(sqs_batch(batch, first), _Context())
        failed += len(result["batchItemFailures"])
    return {
        "events": events,
        "failed_records": failed,
        "seconds": round(time.perf_counter() - start, 2),
        "aws_calls": dict(sorted(stand_in.calls.items())),
        "unanswered_calls": dict(stand_in.unknown),
    }


def main(scenario: str, events: int) -> None:
    # The asset first, then the layers' python directories: Lambda's /var/task, /opt/python.
    asset = os.environ.get("GOVBOT_BENCH_ASSET")
    layers = [p for p in os.environ.get("GOVBOT_BENCH_LAYERS", "").split(os.pathsep) if p]
    sys.path[0:0] = ([asset] if asset else []) + layers
    summary: dict[str, Any]
    if scenario == "floor":
        floor()
        summary = {}
    else:
        policy_file = os.environ["GOVBOT_BENCH_POLICY_FILE"]
        with open(policy_file, encoding="utf-8") as policy:
            summary = enforcer_burst(events, policy.read())
    summary["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
