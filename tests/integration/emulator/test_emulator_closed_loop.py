"""The closed loop: an AppStream call against the emulator emits its CloudTrail event to
moto's EventBridge, a rule with the production pattern routes it to an SQS queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream
from tests.integration.emulator.conftest import OWNER, REGION, appstream_client

PARTNER = "210987654321"
PATTERN = {
    "source": ["aws.appstream"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventName": ["UpdateImagePermissions"]},
}


@pytest.fixture
def loop() -> Iterator[tuple[AppStreamEmulator, Any]]:
    """mock_aws and mock_appstream both active; a rule routes the pattern to a queue."""
    with mock_aws():
        emulator = AppStreamEmulator(clock=ManualClock())
        with mock_appstream(emulator):
            sqs = boto3.client("sqs", region_name=REGION)
            queue_url = sqs.create_queue(QueueName="govbot-intake")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            events = boto3.client("events", region_name=REGION)
            events.put_rule(Name="appstream-sharing", EventPattern=json.dumps(PATTERN))
            events.put_targets(Rule="appstream-sharing", Targets=[{"Id": "q", "Arn": queue_arn}])
            yield emulator, (sqs, queue_url)


def _drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_update_image_permissions_lands_on_the_queue(loop: tuple[AppStreamEmulator, Any]) -> None:
    emulator, (sqs, queue_url) = loop
    image_arn = emulator.seed_image(OWNER, REGION, "golden")

    appstream_client().update_image_permissions(
        Name="golden",
        SharedAccountId=PARTNER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )

    [event] = _drain(sqs, queue_url)
    assert event["source"] == "aws.appstream"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["account"] == OWNER
    assert event["region"] == REGION
    detail = event["detail"]
    assert detail["eventSource"] == "appstream.amazonaws.com"
    assert detail["eventName"] == "UpdateImagePermissions"
    assert detail["awsRegion"] == REGION
    assert detail["requestParameters"] == {
        "name": "golden",
        "sharedAccountId": PARTNER,
        "imagePermissions": {"allowFleet": True, "allowImageBuilder": True},
    }
    assert detail["userIdentity"]["accountId"] == OWNER
    # The queue got exactly the detail the core built.
    [recorded] = emulator.events.named("UpdateImagePermissions")
    assert detail == recorded["detail"]
    assert image_arn.endswith(":image/golden")


def test_events_outside_the_pattern_are_not_routed(loop: tuple[AppStreamEmulator, Any]) -> None:
    emulator, (sqs, queue_url) = loop
    emulator.seed_image(OWNER, REGION, "golden")
    client = appstream_client()
    client.tag_resource(
        ResourceArn=f"arn:aws:appstream:{REGION}:{OWNER}:image/golden", Tags={"a": "b"}
    )
    client.describe_images(Names=["golden"])
    assert _drain(sqs, queue_url) == []
    recorded = [(e["detail"]["eventName"], e["detail"]["readOnly"]) for e in emulator.events.events]
    assert recorded == [("TagResource", False), ("DescribeImages", True)]


def test_failed_call_reaches_the_bus_with_its_error(loop: tuple[AppStreamEmulator, Any]) -> None:
    emulator, (sqs, queue_url) = loop
    with pytest.raises(appstream_client().exceptions.ResourceNotFoundException):
        appstream_client().update_image_permissions(
            Name="missing", SharedAccountId=PARTNER, ImagePermissions={"allowFleet": True}
        )
    [event] = _drain(sqs, queue_url)
    assert event["detail"]["errorCode"] == "ResourceNotFoundException"
    assert [e["detail"]["eventID"] for e in emulator.events.events] == [event["detail"]["eventID"]]


def test_sink_failure_does_not_fail_the_call(loop: tuple[AppStreamEmulator, Any]) -> None:
    emulator, (sqs, queue_url) = loop
    emulator.seed_image(OWNER, REGION, "golden")

    def broken(_: dict[str, Any]) -> None:
        raise RuntimeError("bus down")

    emulator.sink.sinks.insert(0, broken)
    appstream_client().update_image_permissions(
        Name="golden", SharedAccountId=PARTNER, ImagePermissions={"allowFleet": True}
    )
    assert emulator.sink.failures == 1
    assert len(_drain(sqs, queue_url)) == 1


def test_moto_services_still_answer_while_both_mocks_are_active(
    loop: tuple[AppStreamEmulator, Any],
) -> None:
    emulator, _ = loop
    emulator.seed_image(OWNER, REGION, "golden")
    table = boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert table["TableDescription"]["TableName"] == "t"
    assert appstream_client().describe_images(Names=["golden"])["Images"][0]["Name"] == "golden"
