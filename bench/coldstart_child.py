"""One cold start, in a fresh process: ``python -m bench.coldstart_child <scenario>``.

Prints ``{"cpu_ms": ...}``: the CPU time (user + system, ``time.process_time``) from the
first line of the scenario to its end, so interpreter start-up is left out equally for
every scenario. Only the standard library is imported before the clock starts.

No AWS endpoint is reached: the SSM and Secrets Manager answers the first call needs are
given by a ``before-send`` hook on the process's boto3 Session (botocore still builds,
signs and parses the requests), and the session goes in through the composition root's
public seam, ``govbot.wiring.configure``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

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


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def _answers(policy_json: str) -> Any:
    """A before-send hook answering the reads a first call makes (SSM, Secrets Manager)."""
    from botocore.awsrequest import AWSResponse

    bodies = {
        "GetParameter": {"Parameter": {"Name": "/govbot/policy", "Value": policy_json}},
        "GetSecretValue": {"ARN": "arn", "Name": "s", "SecretString": "signing-secret"},
    }

    def answer(request: Any, **kwargs: Any) -> Any:
        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        data = json.dumps(bodies.get(operation, {})).encode()
        headers: Any = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, 200, headers, _Body(data))

    return answer


def _session(policy_json: str) -> Any:
    import boto3

    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-send.ssm.GetParameter", _answers(policy_json))
    session.events.register("before-send.secrets-manager.GetSecretValue", _answers(policy_json))
    return session


def floor() -> None:
    """``import boto3`` plus the AppStream and DynamoDB clients, from one Session."""
    import boto3

    session = boto3.session.Session(region_name=REGION)
    session.client("appstream", region_name=REGION)
    session.client("dynamodb", region_name=REGION)


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
        from govbot.notify.delivery import NotifierDeps  # noqa: F401 - the stream path
    elif handler == "actions":
        from govbot.slack_actions.endpoint import handle_slack_action  # noqa: F401

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
    # The policy as the SSM parameter holds it, written by the parent (bench/coldstart.py).
    policy_file = os.environ.get("GOVBOT_BENCH_POLICY_FILE", "")
    policy_json = Path(policy_file).read_text() if policy_file else ""
    start = time.process_time()
    if scenario == "floor":
        floor()
    elif scenario == "c7n":
        c7n()
    elif scenario == "pydantic":
        pydantic_import()
    else:
        _, handler, phase = scenario.split(":")
        _govbot(handler, policy_json, first_call=phase == "first-call")
    cpu_ms = (time.process_time() - start) * 1000
    print(json.dumps({"cpu_ms": cpu_ms, "tracing": os.environ.get("LAMBDA_TASK_ROOT") is not None}))


if __name__ == "__main__":
    main(sys.argv[1])
