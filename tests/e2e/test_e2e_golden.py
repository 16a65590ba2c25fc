"""Golden images end to end on the sandbox: events and sweeps carry copies to completion.

Time only moves through the ManualClock: a copy settles when the clock passes its
duration, exactly as AppStream finishes it (and, as in AWS, without any event).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import pytest

from govbot.handlers import replicator
from govbot.ledger import CopyJob, OutboxItem
from govbot.ledger.records.outbox import OutboxStatus
from govbot_sandbox.emulator import ManualClock
from govbot_sandbox.lambda_service import LambdaContextStub, sqs_record
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

SOURCE_REGION = "us-east-1"
DESTINATIONS = ("eu-west-1", "us-west-2")
TRUSTED = "111111111111"
OUTSIDER = "999999999999"
COPY_SECONDS = 600

# Audit mode: the enforcer leaves the source's shares alone, so only the replicator's own
# filter stands between an untrusted builder permission and the copies.
POLICY = f"""
version: 1
mode: audit
trusted_accounts: ["{TRUSTED}"]
rules:
  - id: no-untrusted-builders
    type: no_image_builder_for_untrusted
golden:
  - id: gold
    images: {{tags: {{golden: "true"}}}}
    source_region: {SOURCE_REGION}
    destinations: [{", ".join(DESTINATIONS)}]
replication:
  max_concurrent_copies_per_region: 2
  max_attempts: 3
  backoff_seconds: 30
"""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, tzinfo=UTC))


@pytest.fixture
def sandbox(tmp_path: Path, clock: ManualClock) -> Iterator[Sandbox]:
    policy = tmp_path / "golden.yaml"
    policy.write_text(POLICY)
    with Sandbox(policy_path=policy, clock=clock) as box:
        box.emulator.backend.settings.copy_duration_seconds = COPY_SECONDS
        yield box


def make_golden(box: Sandbox, name: str, **seed: Any) -> str:
    """Seed an image in the source region, then tag it golden as a person would."""
    arn = box.emulator.backend.seed_image(HUB_ACCOUNT, SOURCE_REGION, name, **seed)
    box.appstream(SOURCE_REGION).tag_resource(
        ResourceArn=arn, Tags={"golden": "true", "team": "platform"}
    )
    return arn


def images_in(box: Sandbox, region: str) -> dict[str, dict[str, Any]]:
    """Private images of the hub account in ``region``, by name (as AppStream shows them)."""
    client = box.appstream(region)
    return {i["Name"]: i for i in client.describe_images(Type="PRIVATE")["Images"]}


def pending_copies(box: Sandbox, region: str) -> int:
    world = box.emulator.backend.world
    return sum(
        1
        for image in world.images.values()
        if image.copy_source_arn and image.region == region and image.state == "PENDING"
    )


def run_until_settled(box: Sandbox, clock: ManualClock, *, rounds: int = 20) -> list[dict]:
    """Alternate clock, sweep and drain until the sweep reports nothing in progress.

    Asserts the per-region copy limit after every step, from the emulator's own world.
    """
    reports = []
    for _ in range(rounds):
        reports.append(box.sweep()["sweep"])
        box.drain()
        for region in DESTINATIONS:
            assert pending_copies(box, region) <= 2, f"more than 2 copies in flight to {region}"
        states = set(reports[-1]["jobs"])
        if states <= {"done", "abandoned"} or (states <= {"done", "failed"} and _no_retry(box)):
            return reports
        clock.advance(COPY_SECONDS)
    raise AssertionError(f"copies did not settle: {reports[-1]}")


def _no_retry(box: Sandbox) -> bool:
    return all(
        j.state != "failed" or j.next_attempt_at is None for j in box.ledger.active_copy_jobs()
    )


OUTBOX_STATUSES: tuple[OutboxStatus, ...] = get_args(OutboxStatus)


def all_outbox(box: Sandbox) -> list[OutboxItem]:
    """Every outbox item, whatever the notifier already did with it."""
    return [i for s in OUTBOX_STATUSES for i in box.ledger.outbox_by_status(s, limit=500)]


def outbox(box: Sandbox, kind: str) -> list[OutboxItem]:
    return [i for i in all_outbox(box) if i.message_kind == kind]


def job(box: Sandbox, source_arn: str, region: str) -> CopyJob:
    found = box.ledger.get_copy_job(source_arn, region)
    assert found is not None, f"no copy job for {source_arn} -> {region}"
    return found


# --- tests ----------------------------------------------------------------------------------


def test_golden_image_is_copied_tagged_and_shared_in_every_destination(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    arn = make_golden(
        sandbox, "base-1", shared_with={TRUSTED: (True, True), OUTSIDER: (True, True)}
    )
    sandbox.drain()  # the TagResource event starts both copies at once

    for region in DESTINATIONS:
        assert images_in(sandbox, region)["base-1"]["State"] == "PENDING"
        assert job(sandbox, arn, region).state == "copying"

    clock.advance(COPY_SECONDS)
    run_until_settled(sandbox, clock)

    for region in DESTINATIONS:
        client = sandbox.appstream(region)
        copy = images_in(sandbox, region)["base-1"]
        assert copy["State"] == "AVAILABLE"
        tags = client.list_tags_for_resource(ResourceArn=copy["Arn"])["Tags"]
        assert tags["golden"] == "true"
        assert tags["team"] == "platform"
        assert tags["govbot:source-arn"] == arn
        assert tags["govbot:source-region"] == SOURCE_REGION
        assert tags["govbot:copied-at"].startswith("2026-03-01T00:10")
        shares = {
            p["sharedAccountId"]: p["imagePermissions"]
            for p in client.describe_image_permissions(Name="base-1")["SharedImagePermissionsList"]
        }
        # The trusted account keeps both; the outsider's builder permission never travels.
        assert shares[TRUSTED] == {"allowFleet": True, "allowImageBuilder": True}
        assert shares[OUTSIDER] == {"allowFleet": True, "allowImageBuilder": False}

        done = job(sandbox, arn, region)
        assert done.state == "done"
        assert done.attempts == 1
        assert [s.state for s in done.history] == [
            "queued",
            "copying",
            "tagging",
            "sharing",
            "done",
        ]
        assert "not propagated" in (done.last_reason or "")
        assert OUTSIDER in (done.last_reason or "")

    completed = outbox(sandbox, "golden_copy_completed")
    assert sorted(i.payload["details"]["destination_region"] for i in completed) == sorted(
        DESTINATIONS
    )
    withheld = completed[0].payload["details"]["shares_not_propagated"]
    assert withheld == [
        {"account_id": OUTSIDER, "permission": "image_builder", "reason": withheld[0]["reason"]}
    ]
    assert "not trusted" in withheld[0]["reason"]


def test_five_golden_images_never_exceed_two_copies_per_region(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    arns = [make_golden(sandbox, f"img-{n}") for n in range(5)]
    sandbox.drain()
    for region in DESTINATIONS:
        assert pending_copies(sandbox, region) == 2

    reports = run_until_settled(sandbox, clock)

    for region in DESTINATIONS:
        names = images_in(sandbox, region)
        assert {f"img-{n}" for n in range(5)} <= set(names)
        assert all(names[f"img-{n}"]["State"] == "AVAILABLE" for n in range(5))
        for arn in arns:
            finished = job(sandbox, arn, region)
            assert finished.state == "done"
            assert finished.attempts == 1
            # No LimitExceeded ever reached a job (it would have been recorded as a reason).
            assert not any("limit" in (s.reason or "").lower() for s in finished.history)
    assert all(not r["errors"] for r in reports)
    assert len(outbox(sandbox, "golden_copy_completed")) == 10
    assert outbox(sandbox, "golden_copy_failed") == []


def test_running_again_or_redelivering_events_creates_nothing_new(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    arn = make_golden(sandbox, "base-1")
    sandbox.drain()
    clock.advance(COPY_SECONDS)
    run_until_settled(sandbox, clock)
    before_images = {r: set(images_in(sandbox, r)) for r in DESTINATIONS}
    before_jobs = {r: job(sandbox, arn, r).version for r in DESTINATIONS}
    before_outbox = len(all_outbox(sandbox))
    copies_before = sandbox.emulator.calls["CopyImage"]

    # The whole event stream again (EventBridge delivers at least once) and two more sweeps.
    replayed = list(sandbox.emulator.events.events)
    assert len(replayed) >= 4  # TagResource, two CopyImage, TagResource on copies...
    batch = {"Records": [sqs_record(json.dumps(e), f"replay-{i}") for i, e in enumerate(replayed)]}
    result = replicator.handler(batch, LambdaContextStub("govbot-replicator"))
    assert result["batchItemFailures"] == []
    sandbox.sweep()
    sandbox.sweep()
    sandbox.drain()

    assert {r: set(images_in(sandbox, r)) for r in DESTINATIONS} == before_images
    assert {r: job(sandbox, arn, r).version for r in DESTINATIONS} == before_jobs
    assert len(all_outbox(sandbox)) == before_outbox
    assert sandbox.emulator.calls["CopyImage"] == copies_before


def test_copy_failing_twice_then_succeeding_ends_available(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.emulator.backend.fail_next_copies("eu-west-1", 2, "disk snapshot lost")
    arn = make_golden(sandbox, "base-1")
    sandbox.drain()
    clock.advance(COPY_SECONDS)

    run_until_settled(sandbox, clock)

    assert images_in(sandbox, "eu-west-1")["base-1"]["State"] == "AVAILABLE"
    finished = job(sandbox, arn, "eu-west-1")
    assert finished.state == "done"
    assert finished.attempts == 3
    failures = [s for s in finished.history if s.state == "failed"]
    assert len(failures) == 2
    assert all("IMAGE_COPY_FAILURE: disk snapshot lost" in (s.reason or "") for s in failures)
    assert outbox(sandbox, "golden_copy_failed") == []
    assert job(sandbox, arn, "us-west-2").attempts == 1


def test_copy_that_keeps_failing_is_reported(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.emulator.backend.fail_next_copies("us-west-2", 10, "region unhappy")
    arn = make_golden(sandbox, "base-1")
    sandbox.drain()
    clock.advance(COPY_SECONDS)

    run_until_settled(sandbox, clock)

    failed = job(sandbox, arn, "us-west-2")
    assert failed.state == "failed"
    assert failed.attempts == 3
    assert failed.next_attempt_at is None
    assert "gave up after 3 attempt(s)" in (failed.last_reason or "")
    [report] = outbox(sandbox, "golden_copy_failed")
    assert report.payload["details"]["attempts"] == 3
    assert "region unhappy" in report.payload["details"]["error"]
    assert job(sandbox, arn, "eu-west-1").state == "done"
    # Further sweeps neither retry nor report again.
    calls = sandbox.emulator.calls["CopyImage"]
    clock.advance(3600)
    sandbox.sweep()
    assert sandbox.emulator.calls["CopyImage"] == calls
    assert len(outbox(sandbox, "golden_copy_failed")) == 1


def test_deleted_copy_is_copied_again(sandbox: Sandbox, clock: ManualClock) -> None:
    arn = make_golden(sandbox, "base-1")
    sandbox.drain()
    clock.advance(COPY_SECONDS)
    run_until_settled(sandbox, clock)

    sandbox.appstream("eu-west-1").delete_image(Name="base-1")
    sandbox.drain()
    clock.advance(COPY_SECONDS)
    run_until_settled(sandbox, clock)

    assert images_in(sandbox, "eu-west-1")["base-1"]["State"] == "AVAILABLE"
    again = job(sandbox, arn, "eu-west-1")
    assert again.state == "done"
    assert any("is gone; copying again" in (s.reason or "") for s in again.history)
    assert len(outbox(sandbox, "golden_copy_completed")) == 3


def test_deleted_source_is_reported_and_copies_kept(sandbox: Sandbox, clock: ManualClock) -> None:
    arn = make_golden(sandbox, "base-1")
    sandbox.drain()
    clock.advance(COPY_SECONDS)
    run_until_settled(sandbox, clock)

    sandbox.appstream(SOURCE_REGION).delete_image(Name="base-1")
    sandbox.drain()
    sandbox.sweep()

    [report] = outbox(sandbox, "golden_source_deleted")
    assert len(report.payload["details"]["copies"]) == 2
    for region in DESTINATIONS:
        assert images_in(sandbox, region)["base-1"]["State"] == "AVAILABLE"
        assert job(sandbox, arn, region).state == "abandoned"


def test_unrelated_image_holding_the_name_is_reported_not_worked_around(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    other = sandbox.emulator.backend.seed_image(HUB_ACCOUNT, "eu-west-1", "base-1")
    arn = make_golden(sandbox, "base-1")
    sandbox.drain()
    for _ in range(3):
        clock.advance(COPY_SECONDS)
        sandbox.sweep()
        sandbox.drain()

    names = images_in(sandbox, "eu-west-1")
    assert names["base-1"]["Arn"] == other
    assert (
        "govbot:source-arn"
        not in sandbox.appstream("eu-west-1").list_tags_for_resource(ResourceArn=other)["Tags"]
    )
    assert sorted(names) == ["base-1"]  # no base-1-2: the golden name is never moved
    waiting = job(sandbox, arn, "eu-west-1")
    assert (waiting.destination_name, waiting.state, waiting.attempts) == ("base-1", "queued", 0)
    assert "govbot did not make" in (waiting.last_reason or "")
    assert job(sandbox, arn, "us-west-2").state == "done"
    (report,) = outbox(sandbox, "golden_name_taken")
    assert report.payload["details"]["taken_by_image_arn"] == other
