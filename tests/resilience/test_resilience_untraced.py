"""Nothing untraced: every body the enforcer's queue delivers ends in the ledger on its
first delivery (a poison copy never reaches the dead-letter queue unrecorded), and a
rejected copy of a real event never blocks the real event."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from govbot.ledger import EventRecord
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import Sandbox
from govbot_sandbox.storm import OUTSIDER, grant_builders, image_arn

LONE = "\ud800"


def _real_event(sandbox: Sandbox) -> dict[str, Any]:
    """Alice's grant of builder access to an outsider, as EventBridge delivered it."""
    (event_id,) = grant_builders(sandbox, 1).values()
    # The rule already queued it: this test sends its own copies instead.
    sqs = boto3.client("sqs", region_name=sandbox.hub_region)
    assert sandbox.enforcer_queue is not None
    sqs.purge_queue(QueueUrl=sandbox.enforcer_queue.url)
    found = next(e for e in sandbox.emulator.events.events if e["detail"]["eventID"] == event_id)
    return copy.deepcopy(found)


def _send(sandbox: Sandbox, body: dict[str, Any]) -> None:
    """Put ``body`` on the enforcer's queue as any sender would (JSON text, as SQS holds it)."""
    assert sandbox.enforcer_queue is not None
    boto3.client("sqs", region_name=sandbox.hub_region).send_message(
        QueueUrl=sandbox.enforcer_queue.url, MessageBody=json.dumps(body)
    )


def _detail(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(event: dict[str, Any]) -> None:
        event["detail"][key] = value

    return mutate


def _actor(event: dict[str, Any]) -> None:
    event["detail"]["userIdentity"]["arn"] = f"arn:aws:iam::123456789012:user/{LONE}"


def _work(event: dict[str, Any]) -> None:
    arn = image_arn("storm-000")
    event.clear()
    event.update(
        {
            "source": "govbot.actions",
            "detail-type": "govbot work request",
            "detail": {"operation": LONE, "image_arn": arn, "account_id": OUTSIDER},
        }
    )


POISONS = {
    "eventID": _detail("eventID", LONE),
    "eventName": _detail("eventName", LONE),
    "awsRegion": _detail("awsRegion", LONE),
    "userIdentity.arn": _actor,
    "eventTime 9999-12-31": _detail("eventTime", "9999-12-31T23:59:59Z"),
    "work request operation": _work,
}


@pytest.mark.parametrize("poison", list(POISONS))
def test_poison_is_recorded_rejected_on_first_delivery_and_announced(
    slack_sandbox: Sandbox, slack: FakeSlack, poison: str
) -> None:
    event = _real_event(slack_sandbox)
    POISONS[poison](event)
    _send(slack_sandbox, event)

    report = slack_sandbox.drain()

    assert report.failures == 0  # never handed back: no retries, no tracebacks
    assert slack_sandbox.dead_letters() == []
    [rejected] = slack_sandbox.ledger.events_by_status("rejected")
    assert rejected.event_id.startswith("REJECTED#")
    assert rejected.reason
    # What is stored is escaped text: the lone surrogate shows as "\ud800".
    stored = " ".join(
        str(v) for v in (rejected.raw, rejected.reason, rejected.event_name, rejected.region)
    )
    stored.encode("utf-8")  # storable as UTF-8 (raises otherwise)
    if poison == "eventTime 9999-12-31":
        assert "ahead of govbot's clock" in rejected.reason
    else:
        assert "not valid Unicode" in rejected.reason
    [message] = [m for m in slack.delivered() if "rejected" in json.dumps(m).lower()]
    assert rejected.event_id in json.dumps(message)
    # The outsider's share is untouched by a rejected input.
    share = slack_sandbox.emulator.backend.world.images[image_arn("storm-000")].shares[OUTSIDER]
    assert share.allow_image_builder


def test_rejected_copy_never_blocks_the_real_event(
    slack_sandbox: Sandbox, slack: FakeSlack
) -> None:
    real = _real_event(slack_sandbox)
    malformed = copy.deepcopy(real)
    malformed["detail"]["requestParameters"]["name"] = "bad name!"
    _send(slack_sandbox, malformed)
    slack_sandbox.drain()

    _send(slack_sandbox, real)
    report = slack_sandbox.drain()

    assert report.failures == 0
    assert slack_sandbox.dead_letters() == []
    event_id = real["detail"]["eventID"]
    [rejected] = slack_sandbox.ledger.events_by_status("rejected")
    assert rejected.claimed_event_id == event_id
    assert rejected.event_id != event_id
    handled = slack_sandbox.ledger.get_event(event_id).event
    assert isinstance(handled, EventRecord)
    assert handled.status == "processed"
    share = slack_sandbox.emulator.backend.world.images[image_arn("storm-000")].shares[OUTSIDER]
    assert not share.allow_image_builder
    texts = [json.dumps(m) for m in slack.delivered()]
    assert sum("Share revoked" in t for t in texts) == 1
