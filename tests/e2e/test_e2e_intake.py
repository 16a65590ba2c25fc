"""Event intake end to end: an ungoverned operation is ignored quietly; a bad event is
rejected with every problem named, in the ledger and in the Slack message delivered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govbot.events import envelope_for
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def sandbox(slack: FakeSlack) -> Iterator[Sandbox]:
    with Sandbox(slack=slack) as sb:
        yield sb


def _associate_fleet(samples_dir: Path) -> dict[str, Any]:
    """AWS's published AssociateFleet record, made to come from the governed account."""
    record = json.loads((samples_dir / "cloudtrail-AssociateFleet.json").read_text())
    record["recipientAccountId"] = HUB_ACCOUNT
    record["awsRegion"] = REGION
    return envelope_for(record, envelope_id="env-associate")


def _bad_share(good: dict[str, Any]) -> dict[str, Any]:
    """A share event with a 5,000-character image name and a malformed account id."""
    bad = json.loads(json.dumps(good))
    bad["id"] = "env-bad"
    bad["detail"]["eventID"] = "ev-bad-share"
    bad["detail"]["requestParameters"]["name"] = "n" * 5000
    bad["detail"]["requestParameters"]["sharedAccountId"] = "12"
    bad["detail"]["recipientAccountId"] = bad["account"] = "not-an-account"
    return bad


def _text(message: Any) -> str:
    return json.dumps(message)


def test_ungoverned_event_ignored_quietly_bad_event_named_with_every_problem(
    sandbox: Sandbox, slack: FakeSlack, samples_dir: Path
) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    sandbox.appstream(REGION).update_image_permissions(
        Name="app-base",
        SharedAccountId=OUTSIDER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )
    good = sandbox.emulator.events.named("UpdateImagePermissions")[-1]
    associate = _associate_fleet(samples_dir)
    batch = [json.dumps(associate), json.dumps(_bad_share(good)), json.dumps(good)]

    result = sandbox.deliver_raw(batch)
    sandbox.drain()

    assert result["batchItemFailures"] == []
    # The governed event in the same batch was handled.
    handled = sandbox.ledger.get_event(good["detail"]["eventID"]).event
    assert handled is not None
    assert handled.status == "processed"
    # AssociateFleet: recorded as ignored with the reason; no alert.
    ignored = sandbox.ledger.get_event(associate["detail"]["eventID"]).event
    assert ignored is not None
    assert ignored.status == "ignored"
    assert "'AssociateFleet' is not an operation govbot governs" in (ignored.reason or "")
    assert (ignored.event_name, ignored.account_id, ignored.region) == (
        "AssociateFleet",
        HUB_ACCOUNT,
        REGION,
    )
    [rejected] = sandbox.ledger.events_by_status("rejected")
    # Keyed by the input's hash; the eventID it claims is kept, never used as the key.
    assert rejected.event_id.startswith("REJECTED#")
    assert rejected.claimed_event_id == "ev-bad-share"
    assert not sandbox.ledger.get_event("ev-bad-share").exists
    delivered = [_text(m) for m in slack.delivered()]
    assert not any("AssociateFleet" in m for m in delivered)
    # The bad event: its record and its Slack message name it and every problem.
    assert (rejected.event_name, rejected.event_source) == (
        "UpdateImagePermissions",
        "appstream.amazonaws.com",
    )
    assert (rejected.account_id, rejected.region) == ("not-an-account", REGION)
    reason = rejected.reason or ""
    assert len(reason) <= 400
    for problem in (
        "recipientAccountId must be a 12-digit account id",
        "requestParameters.name",
        "(5002 chars)",
        "requestParameters.sharedAccountId",
    ):
        assert problem in reason
    (message,) = [m for m in delivered if "rejected" in m.lower()]
    assert "UpdateImagePermissions" in message
    assert "recipientAccountId must be a 12-digit account id" in message
    assert "requestParameters.sharedAccountId" in message
    assert "n" * 100 not in message  # the long name is shortened, not pasted whole
