"""Buttons against the real ledger (moto) with the signing secret in Secrets Manager."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from govbot.actions.endpoint import ActionsDeps, handle_slack_action
from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.gateways.secrets import SecretsGateway
from govbot.governance import to_policy_exemptions
from govbot.ledger.gateway import Ledger
from govbot.ledger.schema import create_ledger_table
from govbot.policy.engine import evaluate
from govbot.slack_buttons import ACTION_GRANT
from govbot_sandbox.fake_slack import block_actions_payload, function_url_event
from tests.unit.notify.builders import APPROVER, IMAGE_ARN, STRANGER, T0, outbox, policy

SECRET = "e2e-signing-secret-0123456789"
NOW = int(T0.timestamp())


@pytest.fixture
def deps() -> Iterator[ActionsDeps]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        create_ledger_table(ddb, "ledger")
        ledger = Ledger("ledger", client=ddb, clock=lambda: T0)
        ledger.add_outbox([outbox(1)])
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        arn = sm.create_secret(Name="signing", SecretString=SECRET)["ARN"]
        secrets = SecretsGateway(signing_secret_arn=arn, client=sm)
        yield ActionsDeps(ledger=ledger, policy=policy(), secrets=secrets, clock=lambda: T0)


def _click(user: str, *, secret: str = SECRET, ts: int = NOW) -> dict:
    value = json.dumps({"o": "ob-1", "i": IMAGE_ARN, "a": STRANGER, "p": "image_builder", "d": 7})
    payload = block_actions_payload(user_id=user, action_id=ACTION_GRANT, value=value)
    return function_url_event(payload, secret=secret, timestamp=ts)


def test_signed_refusals_and_the_grant_are_in_the_ledger_and_the_grant_is_honoured(deps):
    ledger = deps.ledger
    assert isinstance(ledger, Ledger)
    forged = handle_slack_action(_click(APPROVER, secret="guess"), deps)
    stale = handle_slack_action(_click(APPROVER, ts=NOW - 600), deps)
    intruder = handle_slack_action(_click("U0INTRUDER"), deps)
    assert [r["statusCode"] for r in (forged, stale, intruder)] == [401, 401, 403]
    assert ledger.active_exemptions(T0) == []
    # Only the signed refusal is recorded; the unauthenticated ones are counted.
    (rejected,) = ledger.events_by_status("rejected")
    assert "U0INTRUDER is not in policy approvers" in (rejected.reason or "")
    assert deps.guard.refused_total == 2

    assert handle_slack_action(_click(APPROVER), deps)["statusCode"] == 200
    (granted,) = ledger.active_exemptions(T0)
    assert granted.approver == APPROVER
    assert granted.expires_at == T0 + timedelta(days=7)
    image = ImageSnapshot(
        ref=ImageRef.from_arn(IMAGE_ARN),
        shared_with=(
            SharedAccountPermission(
                account_id=STRANGER, permissions=Permissions(allow_image_builder=True)
            ),
        ),
    )
    extra = to_policy_exemptions(ledger.active_exemptions(T0))
    verdicts = evaluate(image, deps.policy, T0, extra_exemptions=extra).verdicts
    assert [v.outcome for v in verdicts if v.account_id == STRANGER] == ["exempted"]
    assert ledger.outbox_by_status("pending")[-1].message_kind in (
        "violation_remedied",
        "exemption_granted",
    )
    assert {i.message_kind for i in ledger.outbox_by_status("pending")} == {
        "violation_remedied",
        "exemption_granted",
    }
