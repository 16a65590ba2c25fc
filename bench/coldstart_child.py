"""One cold start, in a fresh process: ``python -m bench.coldstart_child <scenario>``.

Prints ``{"cpu_ms": ...}``: the CPU time (user + system, ``time.process_time``) from the
first line of the scenario to its end, so interpreter start-up is left out equally for
every scenario. Only the standard library (and the stand-in's module, itself standard
library until it answers) is imported before the clock starts.

``GOVBOT_BENCH_ASSET`` names the function's asset directory, exactly as bundled for
upload; it goes first on the import path, then ``GOVBOT_BENCH_LAYERS`` (govbot's SDK layer:
the pinned boto3/botocore every function imports) (bench/coldstart.py runs this in the Lambda-like
interpreter: boto3 and Powertools only, with ``-B`` so nothing is written into the asset,
as in Lambda's read-only /var/task). No AWS endpoint is reached: every request botocore
builds is answered by ``bench.stand_in`` (a ``before-send`` hook on the process's boto3
Session), and the session goes in through the composition root's public seam,
``govbot.wiring.configure``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.stand_in import AwsStandIn

REGION = "us-east-1"
HUB = "111111111111"
SAMPLE_EVENT = {
    "version": "0",
    "id": "6f1c8b2e-0000-4000-8000-000000000001",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.appstream",
    "account": HUB,
    "time": "2026-11-27T12:00:00Z",
    "region": REGION,
    "resources": [],
    "detail": {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{HUB}:user/alice",
            "accountId": HUB,
        },
        "eventTime": "2026-11-27T12:00:00Z",
        "eventSource": "appstream.amazonaws.com",
        "eventName": "UpdateImagePermissions",
        "awsRegion": REGION,
        "requestParameters": {
            "name": "prod-app",
            "sharedAccountId": "999999999999",
            "imagePermissions": {"allowFleet": True, "allowImageBuilder": True},
        },
        "responseElements": None,
        "eventID": "0b6a9c1e-0000-4000-8000-000000000002",
        "eventType": "AwsApiCall",
        "recipientAccountId": HUB,
    },
}


def _session(policy_json: str) -> Any:
    import boto3

    session = boto3.session.Session(region_name=REGION)
    AwsStandIn(account=HUB, region=REGION, policy_json=policy_json).install(session)
    return session


def floor() -> None:
    """``import boto3`` plus the AppStream and DynamoDB clients, from one Session."""
    import boto3

    session = boto3.session.Session(region_name=REGION)
    session.client("appstream", region_name=REGION)
    session.client("dynamodb", region_name=REGION)


def floor_pydantic() -> None:
    """The floor, then pydantic: what pydantic adds once boto3 is in."""
    floor()
    from pydantic import BaseModel, ConfigDict, Field  # noqa: F401


def floor_powertools() -> None:
    """The floor, then Powertools' Logger and Metrics, and the Tracer when tracing is on
    (as govbot builds it): what a handler without pydantic would still pay."""
    floor()
    from aws_lambda_powertools.logging import Logger
    from aws_lambda_powertools.metrics import Metrics

    Logger()
    Metrics()
    if os.environ.get("LAMBDA_TASK_ROOT"):
        from aws_lambda_powertools.tracing import Tracer

        Tracer(patch_modules=["botocore", "httplib"])


def libraries() -> None:
    """The floor plus what every handler of this design imports and builds whatever it
    does: pydantic, Powertools' Logger and Metrics, and the Tracer when tracing is on."""
    floor_powertools()
    from pydantic import BaseModel, ConfigDict, Field  # noqa: F401


class _Context:
    """What the handlers and Powertools read of Lambda's context object."""

    function_name = "govbot-bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench-request"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{HUB}:function:govbot-bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def sqs_batch(events: list[dict[str, Any]], first: int = 0) -> dict[str, Any]:
    """The enforcer's SQS event: one record per CloudTrail event."""
    return {
        "Records": [
            {
                "messageId": f"m-{first + n}",
                "body": json.dumps(event),
                "attributes": {"ApproximateReceiveCount": "1"},
                "eventSource": "aws:sqs",
            }
            for n, event in enumerate(events)
        ]
    }


def enforcer_invoke(policy_json: str) -> None:
    """The enforcer's whole first invocation: one violating grant, found and remedied."""
    import importlib

    from govbot import wiring

    module = importlib.import_module("govbot.handlers.enforcer")
    wiring.configure(session=_session(policy_json))
    result = module.handler(sqs_batch([SAMPLE_EVENT]), _Context())
    if result != {"batchItemFailures": []}:
        raise RuntimeError(f"the enforcer's first invocation failed: {result}")


def pydantic_import() -> None:
    """What govbot's typed models cost before any of them exists: pydantic itself."""
    from pydantic import BaseModel, ConfigDict, Field  # noqa: F401


def _govbot(handler: str, policy_json: str, *, first_call: bool) -> None:
    import importlib

    module = importlib.import_module(f"govbot.handlers.{handler}")
    from govbot import observability, wiring

    # The handler's own wiring module (already imported by the handler module).
    own: Any = importlib.import_module(f"govbot.wiring.{handler}")
    wiring.configure(session=_session(policy_json))
    if handler == "enforcer":
        deps: Any = own.enforcer_parts().enforcer.deps
        deps.appstream.client(HUB, REGION)
        deps.ledger.client  # noqa: B018 - creating the client is the point
        policy = deps.judge.policy
    elif handler == "replicator":
        deps = own.replicator().deps
        deps.appstream.client(HUB, REGION)
        deps.ledger.client  # noqa: B018
        policy = deps.judge.policy
    elif handler == "notifier":
        notifier = own.notifier_parts()
        notifier.ledger.client  # noqa: B018
        policy = notifier.policy
    else:
        actions = own.actions_parts()
        actions.ledger.client  # noqa: B018
        policy = actions.policy
    if not first_call:
        return
    # What the first invocation adds before its first AWS write: the Tracer (tracing on
    # as deployed), the policy read from SSM and validated, and the handler's own path.
    if observability.tracing_enabled():
        observability.tracer()
    policy()
    if handler == "enforcer":
        from govbot.events import parse_event

        parse_event(
            json.dumps(SAMPLE_EVENT),
            governed_accounts=frozenset({HUB}),
            governed_regions=frozenset({REGION}),
        )
    elif handler == "notifier":
        from govbot.notifier.delivery import NotifierDeps  # noqa: F401 - the stream path
    elif handler == "actions":
        from govbot.actions.endpoint import handle_slack_action  # noqa: F401

        own.actions_parts().secrets.signing_secret()
    del module


def c7n() -> None:
    """Cloud Custodian's cold path: import its handler, load aws.ami, validate one
    cloudtrail-mode policy, and the same two clients."""
    import boto3
    from c7n import handler  # noqa: F401
    from c7n.config import Config
    from c7n.loader import PolicyLoader
    from c7n.resources import load_resources

    load_resources(("aws.ami",))
    policies = PolicyLoader(Config.empty()).load_data(
        {
            "policies": [
                {
                    "name": "ami-cross-account",
                    "resource": "aws.ami",
                    "mode": {
                        "type": "cloudtrail",
                        "events": [
                            {
                                "source": "ec2.amazonaws.com",
                                "event": "ModifyImageAttribute",
                                "ids": "requestParameters.imageId",
                            }
                        ],
                    },
                    "filters": [{"type": "cross-account"}],
                }
            ]
        },
        file_uri=":memory:",
    )
    for policy in policies:
        policy.validate()
    session = boto3.session.Session(region_name=REGION)
    session.client("appstream", region_name=REGION)
    session.client("dynamodb", region_name=REGION)


def main(scenario: str) -> None:
    # The asset first, then the layers' python directories: Lambda's /var/task, /opt/python.
    asset = os.environ.get("GOVBOT_BENCH_ASSET")
    layers = [p for p in os.environ.get("GOVBOT_BENCH_LAYERS", "").split(os.pathsep) if p]
    sys.path[0:0] = ([asset] if asset else []) + layers
    # The policy as the SSM parameter holds it, written by the parent (bench/coldstart.py).
    policy_file = os.environ.get("GOVBOT_BENCH_POLICY_FILE", "")
    policy_json = Path(policy_file).read_text() if policy_file else ""
    start = time.process_time()
    if scenario in ("floor", "floor:runtime-sdk"):
        floor()
    elif scenario == "c7n":
        c7n()
    elif scenario == "pydantic":
        pydantic_import()
    elif scenario == "libraries":
        libraries()
    elif scenario == "floor+pydantic":
        floor_pydantic()
    elif scenario == "floor+powertools":
        floor_powertools()
    elif scenario == "govbot:enforcer:invoke":
        enforcer_invoke(policy_json)
    else:
        _, handler, phase = scenario.split(":")
        _govbot(handler, policy_json, first_call=phase == "first-call")
    cpu_ms = (time.process_time() - start) * 1000
    print(json.dumps({"cpu_ms": cpu_ms, "tracing": os.environ.get("LAMBDA_TASK_ROOT") is not None}))


if __name__ == "__main__":
    main(sys.argv[1])
