"""The synthesized EventBridge patterns, replayed on moto's EventBridge with SQS targets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from govbot import routing

REGION = "us-east-1"
API_CALL = "AWS API Call via CloudTrail"
SERVICE_EVENT = "AWS Service Event via CloudTrail"


def _entry(source: str, detail_type: str, detail: dict[str, Any]) -> Any:
    return {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}


def _api_call(event_name: str) -> dict[str, str]:
    return _entry(
        "aws.appstream",
        API_CALL,
        {
            "eventSource": "appstream.amazonaws.com",
            "eventName": event_name,
            "eventType": "AwsApiCall",
            "awsRegion": REGION,
        },
    )


def _sample(samples_dir: Path, name: str) -> dict[str, str]:
    record = json.loads((samples_dir / name).read_text())
    detail_type = SERVICE_EVENT if record["eventType"] == "AwsServiceEvent" else API_CALL
    return _entry("aws.appstream", detail_type, record)


class Bus:
    """moto EventBridge with the hub's rules for one queue family, each into one SQS queue."""

    def __init__(self, patterns: list[dict[str, Any]]) -> None:
        self.events = boto3.client("events", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.queue_url = self.sqs.create_queue(QueueName="target")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        for index, pattern in enumerate(patterns):
            self.events.put_rule(Name=f"rule{index}", EventPattern=json.dumps(pattern))
            self.events.put_targets(Rule=f"rule{index}", Targets=[{"Id": "q", "Arn": arn}])

    def deliver(self, entries: list[Any]) -> list[tuple[str, str]]:
        """Put ``entries``; return (detail-type, eventName) of what reached the queue."""
        for start in range(0, len(entries), 10):
            result = self.events.put_events(Entries=entries[start : start + 10])
            assert result["FailedEntryCount"] == 0
        received: list[tuple[str, str]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = batch.get("Messages", [])
            if not messages:
                return sorted(received)
            for message in messages:
                body = json.loads(message["Body"])
                received.append((body["detail-type"], body["detail"]["eventName"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


ACCOUNT = "123456789012"
PSEUDO = {"AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::Region": REGION}


def _concrete(value: Any) -> Any:
    """The template's pseudo-parameter references, as a deployment in ACCOUNT resolves them."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in PSEUDO:
            return PSEUDO[value["Ref"]]
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(_concrete(part)) for part in parts)
        return {key: _concrete(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_concrete(item) for item in value]
    return value


def _patterns(hub, prefix: str) -> list[dict[str, Any]]:
    return [
        _concrete(rule["Properties"]["EventPattern"])
        for logical_id, rule in hub.resources("AWS::Events::Rule").items()
        if logical_id.startswith(prefix) and "EventPattern" in rule["Properties"]
    ]


def _own_prefix() -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/GovbotHub-"


def _by(arn: str | None, event_name: str = "UpdateImagePermissions") -> dict[str, str]:
    detail: dict[str, Any] = {
        "eventSource": "appstream.amazonaws.com",
        "eventName": event_name,
        "eventType": "AwsApiCall",
        "awsRegion": REGION,
        "userIdentity": {"type": "AssumedRole", "accountId": ACCOUNT},
    }
    if arn is not None:
        detail["userIdentity"]["arn"] = arn
    return _entry("aws.appstream", API_CALL, detail)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _unrelated() -> list[dict[str, str]]:
    return [
        _api_call("DescribeImages"),
        _api_call("AssociateFleet"),
        _entry("aws.ec2", API_CALL, {"eventSource": "ec2.amazonaws.com", "eventName": "CopyImage"}),
        _entry(
            "custom.app",
            API_CALL,
            {"eventSource": "appstream.amazonaws.com", "eventName": "CopyImage"},
        ),
        _entry(
            "aws.appstream",
            API_CALL,
            {"eventSource": "ec2.amazonaws.com", "eventName": "CopyImage"},
        ),
        # CreateImage is governed only as a service event, not as an API call.
        _api_call("CreateImage"),
    ]


def test_synthesized_patterns_are_the_shared_routing_patterns(hub) -> None:
    def canonical(patterns: list[dict[str, Any]]) -> list[str]:
        return sorted(json.dumps(p, sort_keys=True) for p in patterns)

    assert canonical(_patterns(hub, "EnforcementGoverned")) == canonical(
        routing.enforcer_patterns(_own_prefix())
    )
    assert canonical(_patterns(hub, "ReplicationGoldenTrigger")) == canonical(
        routing.replicator_patterns(_own_prefix())
    )


def test_synthesized_rules_exclude_govbots_own_calls(hub) -> None:
    # In the template itself (tokens unresolved): the API-call rules carry the exclusion.
    for logical_id, rule in hub.resources("AWS::Events::Rule").items():
        pattern = rule["Properties"].get("EventPattern")
        if not pattern or pattern["detail-type"] != [API_CALL]:
            continue
        assert logical_id.startswith(("EnforcementGoverned", "ReplicationGoldenTrigger"))
        branches = pattern["detail"]["$or"]
        (excluded,) = branches[0]["userIdentity"]["arn"]
        assert hub.stack.resolve(excluded) == hub.stack.resolve(
            {"anything-but": {"prefix": hub.stack.own_principal_prefix}}
        )
        assert branches[1] == {"userIdentity": {"arn": [{"exists": False}]}}


@pytest.mark.parametrize("family", ["EnforcementGoverned", "ReplicationGoldenTrigger"])
def test_own_calls_are_never_delivered_others_are(aws, hub, family) -> None:
    bus = Bus(_patterns(hub, family))
    received = bus.deliver(
        [
            # govbot: the enforcer's and the replicator's roles (CloudFormation names).
            _by(f"{_own_prefix()}EnforcementEnforcerRoleAB12-XYZ/govbot", "TagResource"),
            _by(f"{_own_prefix()}ReplicationReplicatorRoleCD34-XYZ/govbot", "TagResource"),
            # people and other roles, an assumed role of another stack, no ARN at all
            _by(f"arn:aws:iam::{ACCOUNT}:user/alice", "TagResource"),
            _by(f"arn:aws:sts::{ACCOUNT}:assumed-role/GovbotHubOther/bob", "TagResource"),
            _by("arn:aws:sts::999999999999:assumed-role/GovbotHub-X/eve", "TagResource"),
            _by(None, "TagResource"),
        ]
    )
    assert received == [(API_CALL, "TagResource")] * 4


def test_enforcer_rules_deliver_exactly_the_governed_events(aws, hub, samples_dir) -> None:
    bus = Bus(_patterns(hub, "EnforcementGoverned"))
    governed = [_api_call(name) for name in routing.governed_api_calls()]
    received = bus.deliver(
        [
            _sample(samples_dir, "cloudtrail-AssociateFleet.json"),
            _sample(samples_dir, "cloudtrail-CreateImage-service-event.json"),
            *governed,
            *_unrelated(),
        ]
    )
    expected = sorted(
        [(API_CALL, name) for name in routing.governed_api_calls()]
        + [(SERVICE_EVENT, "CreateImage")]
    )
    assert received == expected
    assert {name for _, name in received} == routing.governed_event_names()


def test_replicator_rules_deliver_only_golden_triggers(aws, hub, samples_dir) -> None:
    bus = Bus(_patterns(hub, "ReplicationGoldenTrigger"))
    every_governed = [_api_call(name) for name in routing.governed_api_calls()]
    received = bus.deliver(
        [
            _sample(samples_dir, "cloudtrail-AssociateFleet.json"),
            _sample(samples_dir, "cloudtrail-CreateImage-service-event.json"),
            *every_governed,
            *_unrelated(),
        ]
    )
    expected = sorted(
        [(API_CALL, name) for name in routing.replicator_event_names("api_call")]
        + [(SERVICE_EVENT, "CreateImage")]
    )
    assert received == expected
