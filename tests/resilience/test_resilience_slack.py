"""Slack down for the whole run, then back: every message delivered once after replay, also
when the stream range named by the on-failure record cannot be read."""

from __future__ import annotations

import json
from collections import Counter

from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import Sandbox
from govbot_sandbox.storm import grant_builders, image_arn


def _outbox(sandbox: Sandbox, names: list[str]) -> list[OutboxItem]:
    return [
        record
        for name in names
        for record in sandbox.ledger.by_image(image_arn(name))
        if isinstance(record, OutboxItem)
    ]


def test_slack_down_then_back_each_message_delivered_once(
    slack_sandbox: Sandbox, slack: FakeSlack, waits: list[float]
) -> None:
    slack.go_down()
    names = list(grant_builders(slack_sandbox, 3))
    slack_sandbox.drain()
    items = _outbox(slack_sandbox, names)
    assert len(items) == 3
    assert waits  # the gateway backed off between attempts, through the injected sleep
    assert slack.delivered() == []
    assert all(slack_sandbox.ledger.get_outbox(i.outbox_id).status == "failed" for i in items)  # type: ignore[union-attr]
    slack.come_back()

    # The on-failure record names a stream range that cannot be read: the ledger answers.
    report = slack_sandbox.replay_notifications()
    again = slack_sandbox.replay_notifications()

    assert sorted(report["delivered"]) == sorted(i.outbox_id for i in items)
    assert again["delivered"] == []
    delivered = [json.dumps(body) for body in slack.delivered()]
    per_item = Counter(i.outbox_id for i in items for body in delivered if i.outbox_id in body)
    assert per_item == {i.outbox_id: 1 for i in items}
    assert all(
        slack_sandbox.ledger.get_outbox(i.outbox_id).status == "delivered"  # type: ignore[union-attr]
        for i in items
    )
