"""Golden sources are pinned (issue 11), end to end on the sandbox.

With a name-only selector, a person's own copy of the golden image in a destination region
must never become a source, and must not push the real copy to another name: the sweep
ends with one image per destination under the golden name, from the pinned source, and
the person's copy reported (ledger and Slack) with who made it. A finished copy whose
tags or shares drift is put back by the sweep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import pytest

from govbot.ledger import OutboxItem
from govbot.ledger.records.outbox import OutboxStatus
from govbot_sandbox.emulator import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

SOURCE_REGION = "us-east-1"
DESTINATIONS = ("us-west-2", "eu-west-1")
GOLDEN = "Finance-Golden-2026-11"
TRUSTED = "111111111111"
OTHER = "222222222222"
COPY_SECONDS = 600

POLICY = f"""
version: 1
mode: audit
trusted_accounts: ["{TRUSTED}"]
rules:
  - id: no-untrusted-builders
    type: no_image_builder_for_untrusted
golden:
  - id: finance
    images: {{names: ["Finance-Golden-*"]}}
    source_region: {SOURCE_REGION}
    destinations: [{", ".join(DESTINATIONS)}]
replication:
  max_concurrent_copies_per_region: 2
  max_attempts: 3
  backoff_seconds: 30
"""
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = get_args(OutboxStatus)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 2, tzinfo=UTC))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def sandbox(tmp_path: Path, clock: ManualClock, slack: FakeSlack) -> Iterator[Sandbox]:
    policy = tmp_path / "golden.yaml"
    policy.write_text(POLICY)
    with Sandbox(policy_path=policy, clock=clock, slack=slack) as box:
        box.emulator.backend.settings.copy_duration_seconds = COPY_SECONDS
        yield box


def finance_images(box: Sandbox, region: str) -> dict[str, dict[str, Any]]:
    found = box.appstream(region).describe_images(Type="PRIVATE")["Images"]
    return {i["Name"]: i for i in found if i["Name"].startswith("Finance-Golden-")}


def tags_of(box: Sandbox, region: str, arn: str) -> dict[str, str]:
    return dict(box.appstream(region).list_tags_for_resource(ResourceArn=arn)["Tags"])


def shares_of(box: Sandbox, region: str, name: str) -> dict[str, dict[str, bool]]:
    listing = box.appstream(region).describe_image_permissions(Name=name)
    return {
        p["sharedAccountId"]: p["imagePermissions"] for p in listing["SharedImagePermissionsList"]
    }


def outbox(box: Sandbox, kind: str) -> list[OutboxItem]:
    items = [i for s in OUTBOX_STATUSES for i in box.ledger.outbox_by_status(s, limit=500)]
    return [i for i in items if i.message_kind == kind]


def sweep_until_available(box: Sandbox, clock: ManualClock, rounds: int = 8) -> None:
    """Sweep, deliver and move the clock until no copy is in flight anywhere."""
    for _ in range(rounds):
        box.sweep()
        box.drain()
        world = box.emulator.backend.world
        if not any(i.state == "PENDING" for i in world.images.values()):
            return
        clock.advance(COPY_SECONDS)
    raise AssertionError("copies never became AVAILABLE")


def test_a_persons_copy_is_never_a_source_and_is_reported(
    sandbox: Sandbox, clock: ManualClock, slack: FakeSlack
) -> None:
    source = sandbox.emulator.backend.seed_image(HUB_ACCOUNT, SOURCE_REGION, GOLDEN)
    # A person copies the golden image to eu-west-1 themselves, under the golden name.
    sandbox.appstream(SOURCE_REGION, user="bob").copy_image(
        SourceImageName=GOLDEN, DestinationImageName=GOLDEN, DestinationRegion="eu-west-1"
    )
    person_event = sandbox.emulator.events.named("CopyImage")[-1]
    person = person_event["detail"]["userIdentity"]["arn"]
    assert person == f"arn:aws:iam::{HUB_ACCOUNT}:user/bob"
    sandbox.drain()

    sweep_until_available(sandbox, clock)
    sweep_until_available(sandbox, clock)  # a further sweep changes nothing

    # Exactly one image per destination under the golden name, none under a variant.
    for region in DESTINATIONS:
        assert list(finance_images(sandbox, region)) == [GOLDEN], region
    # us-west-2: govbot's copy, from the pinned us-east-1 source.
    west = finance_images(sandbox, "us-west-2")[GOLDEN]
    assert west["State"] == "AVAILABLE"
    assert tags_of(sandbox, "us-west-2", west["Arn"])["govbot:source-arn"] == source
    # eu-west-1: the person's copy (of the same source), left untouched by govbot.
    eu = finance_images(sandbox, "eu-west-1")[GOLDEN]
    assert sandbox.emulator.backend.world.images[eu["Arn"]].copy_source_arn == source
    assert not any(k.startswith("govbot:") for k in tags_of(sandbox, "eu-west-1", eu["Arn"]))
    # Only the us-east-1 image is a source: no job copies the person's image anywhere.
    jobs = {(j.source_arn, j.destination_region): j for j in _all_jobs(sandbox, source)}
    assert set(jobs) == {(source, region) for region in DESTINATIONS}
    assert sandbox.ledger.get_copy_job(eu["Arn"], "us-west-2") is None
    assert jobs[(source, "us-west-2")].state == "done"
    waiting = jobs[(source, "eu-west-1")]
    assert waiting.state == "queued"
    assert waiting.destination_name == GOLDEN
    assert person in (waiting.last_reason or "")
    # Reported once, with who made it (from the ledger's CopyImage event), and delivered.
    (report,) = outbox(sandbox, "golden_name_taken")
    details = report.payload["details"]
    assert details["taken_by_image_arn"] == eu["Arn"]
    assert details["made_by"] == person
    assert details["made_by_event_id"] == person_event["detail"]["eventID"]
    delivered = [json.dumps(m) for m in slack.delivered()]
    taken = [m for m in delivered if "Golden name taken" in m]
    assert len(taken) == 1
    assert person in taken[0]
    assert "eu-west-1" in taken[0]


def _all_jobs(box: Sandbox, source: str) -> list[Any]:
    jobs = [box.ledger.get_copy_job(source, region) for region in DESTINATIONS]
    return [j for j in jobs if j is not None]


def test_name_freed_by_the_person_is_then_copied(sandbox: Sandbox, clock: ManualClock) -> None:
    source = sandbox.emulator.backend.seed_image(HUB_ACCOUNT, SOURCE_REGION, GOLDEN)
    held = sandbox.emulator.backend.seed_image(HUB_ACCOUNT, "eu-west-1", GOLDEN)
    sweep_until_available(sandbox, clock)
    (report,) = outbox(sandbox, "golden_name_taken")
    # No call made it that the ledger knows of: the owner account is all that is known.
    assert report.payload["details"]["made_by"] == f"account {HUB_ACCOUNT}"

    sandbox.appstream("eu-west-1").delete_image(Name=GOLDEN)
    sandbox.drain()
    sweep_until_available(sandbox, clock)

    copy = finance_images(sandbox, "eu-west-1")[GOLDEN]
    assert copy["Arn"] == held  # same name and account, now govbot's copy
    assert tags_of(sandbox, "eu-west-1", copy["Arn"])["govbot:source-arn"] == source
    job = sandbox.ledger.get_copy_job(source, "eu-west-1")
    assert job is not None
    assert job.state == "done"


def test_drifted_tags_and_shares_of_a_finished_copy_are_restored(
    sandbox: Sandbox, clock: ManualClock, slack: FakeSlack
) -> None:
    source = sandbox.emulator.backend.seed_image(
        HUB_ACCOUNT,
        SOURCE_REGION,
        GOLDEN,
        tags={"team": "finance", "cost": "42"},
        shared_with={TRUSTED: (True, True)},
    )
    sweep_until_available(sandbox, clock)
    client = sandbox.appstream("us-west-2")
    copy = finance_images(sandbox, "us-west-2")[GOLDEN]
    before = tags_of(sandbox, "us-west-2", copy["Arn"])
    assert shares_of(sandbox, "us-west-2", GOLDEN) == {
        TRUSTED: {"allowFleet": True, "allowImageBuilder": True}
    }

    # People change the finished copy: tags edited, removed and added; shares changed.
    client.tag_resource(ResourceArn=copy["Arn"], Tags={"team": "someone-else", "extra": "x"})
    client.untag_resource(ResourceArn=copy["Arn"], TagKeys=["cost", "govbot:source-arn"])
    client.delete_image_permissions(Name=GOLDEN, SharedAccountId=TRUSTED)
    client.update_image_permissions(
        Name=GOLDEN,
        SharedAccountId=OTHER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": False},
    )
    sandbox.drain()
    clock.advance(60)
    sandbox.sweep()
    sandbox.drain()

    assert tags_of(sandbox, "us-west-2", copy["Arn"]) == before
    assert before["govbot:source-arn"] == source
    assert shares_of(sandbox, "us-west-2", GOLDEN) == {
        TRUSTED: {"allowFleet": True, "allowImageBuilder": True}
    }
    # The other destination was not touched and reports nothing.
    (restored,) = outbox(sandbox, "drift_found")
    drift = restored.payload["details"]["drift"]
    assert restored.payload["region"] == "us-west-2"
    assert "tag team restored to 'finance'" in drift
    assert "tag extra removed (not on the source)" in drift
    assert f"share with {OTHER} removed (not propagated from the source)" in drift
    assert any(line.startswith(f"share with {TRUSTED} restored") for line in drift)
    job = sandbox.ledger.get_copy_job(source, "us-west-2")
    assert job is not None
    assert job.state == "done"
    assert (job.last_reason or "").startswith("drifted from the source; restored")
    assert any("Drift found" in json.dumps(m) for m in slack.delivered())

    # A sweep over the restored copy finds nothing more.
    clock.advance(60)
    sandbox.sweep()
    assert len(outbox(sandbox, "drift_found")) == 1
