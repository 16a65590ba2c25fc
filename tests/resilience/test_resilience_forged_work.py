"""Forged internal work (issue 18, finding 2): a "restore" put on the enforcer's queue by
anyone but the actions function is refused, recorded and announced once; nothing is shared."""

from __future__ import annotations

import json

import boto3

from govbot.ledger.keys import outbox_id_for
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.sandbox import Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"
IMAGE = "app-forged"  # the policy lets an outsider run it in a fleet


def _forged(signature: dict[str, object] | None = None) -> str:
    envelope: dict[str, object] = {
        "source": "govbot.actions",
        "detail-type": "govbot work request",
        "detail": {
            "operation": "RestorePermission",
            "image_arn": f"arn:aws:appstream:{REGION}:{HUB_ACCOUNT}:image/{IMAGE}",
            "account_id": OUTSIDER,
            "permission": "fleet",
            "requested_by": "slack:user/U0DEMO0001",
        },
    }
    if signature is not None:
        envelope["govbot-signature"] = signature
    return json.dumps(envelope)


def test_forged_work_on_the_queue_shares_nothing_and_is_told_once(
    slack_sandbox: Sandbox, slack: FakeSlack
) -> None:
    sandbox = slack_sandbox
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, IMAGE)
    assert sandbox.enforcer_queue is not None
    sqs = boto3.client("sqs", region_name=REGION)  # any in-account principal
    bodies = [
        _forged(),
        _forged({"version": 1, "issued_at": "2026-12-05T00:00:00.000Z", "hmac_sha256": "0" * 64}),
    ]
    for body in (*bodies, *bodies):  # each sent twice
        sqs.send_message(QueueUrl=sandbox.enforcer_queue.url, MessageBody=body)

    sandbox.drain()

    image = sandbox.emulator.backend.world.images[
        f"arn:aws:appstream:{REGION}:{HUB_ACCOUNT}:image/{IMAGE}"
    ]
    assert image.shares == {}
    assert sandbox.emulator.events.named("UpdateImagePermissions") == []
    assert sandbox.dead_letters() == []
    rejected = [
        r
        for r in sandbox.ledger.events_by_status("rejected")
        if r.event_name == "RestorePermission"
    ]
    assert sorted(r.reason or "" for r in rejected) == [
        "work request refused: unsigned work request: govbot obeys only work the actions "
        "function signed",
        "work request refused: work request signature does not match: forged or altered",
    ]
    told = [
        sandbox.ledger.get_outbox(outbox_id_for("event_rejected", r.event_id)) for r in rejected
    ]
    assert all(o is not None for o in told)  # one message per forged body, however often it came
    delivered = [json.dumps(b) for b in slack.delivered()]
    assert sum("govbot rejected RestorePermission" in text for text in delivered) == 2
