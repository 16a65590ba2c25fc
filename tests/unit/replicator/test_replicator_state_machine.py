"""The replicator's job state machine and sweep on in-memory fakes (no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.policy.judge import Judge
from govbot.policy.loader import parse_policy
from govbot.replicator.logic import Replicator
from govbot.replicator.plan import TAG_SOURCE_ARN
from govbot.replicator.ports import ReplicatorDeps
from tests.fakes import FakeAppStream, FakeClock, FakeLedger

POLICY = parse_policy(
    """
version: 1
mode: audit
rules:
  - {id: no-untrusted-builders, type: no_image_builder_for_untrusted}
golden:
  - id: gold
    images: {tags: {golden: "true"}}
    source_region: us-east-1
    destinations: [eu-west-1]
replication:
  max_concurrent_copies_per_region: 2
  max_attempts: 3
  backoff_seconds: 30
"""
)
GOLDEN = {"golden": "true"}
ACCOUNT = "123456789012"


def seed(appstream: FakeAppStream, region: str, name: str, **fields: Any) -> ImageSnapshot:
    """An image of ``ACCOUNT`` created now (by the fake's clock)."""
    ref = ImageRef(account_id=ACCOUNT, region=region, name=name)
    return appstream.seed(ref, created_time=appstream.clock(), **fields)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, tzinfo=UTC))


@pytest.fixture
def appstream(clock: FakeClock) -> FakeAppStream:
    return FakeAppStream(clock=clock)


@pytest.fixture
def ledger(clock: FakeClock) -> FakeLedger:
    return FakeLedger(clock)


@pytest.fixture
def replicator(appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock) -> Replicator:
    return Replicator(
        ReplicatorDeps(
            appstream=appstream,
            ledger=ledger,
            judge=Judge(lambda: POLICY, clock=clock),
            governed_accounts=frozenset({ACCOUNT}),
            governed_regions=frozenset({"us-east-1", "eu-west-1"}),
            clock=clock,
        )
    )


def settle(replicator: Replicator, clock: FakeClock, rounds: int = 12) -> None:
    for _ in range(rounds):
        replicator.sweep()
        clock.advance(600)


def test_copy_runs_through_every_state(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN)
    replicator.sweep()
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert job.state == "copying"
    assert job.attempts == 1
    replicator.sweep()  # still PENDING: nothing is written
    assert ledger.get_copy_job(source.ref.arn, "eu-west-1") == job

    clock.advance(600)
    replicator.sweep()
    done = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert done is not None
    assert done.state == "done"
    assert [s.state for s in done.history] == ["queued", "copying", "tagging", "sharing", "done"]
    copy = next(i for i in appstream.images.values() if i.ref.region == "eu-west-1")
    assert copy.tags[TAG_SOURCE_ARN] == source.ref.arn
    assert copy.tags["golden"] == "true"
    assert ledger.kinds() == ["golden_copy_completed"]


def test_pending_source_waits_without_copying(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN, state="PENDING")
    replicator.replicate(source.ref)
    replicator.sweep()
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert job.state == "queued"
    assert "AVAILABLE" in (job.last_reason or "")
    assert "CopyImage" not in appstream.operations()
    assert job.version == 2  # created, then one reason recorded; the repeat wrote nothing


def test_queue_respects_the_per_region_limit(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    for n in range(5):
        seed(appstream, "us-east-1", f"gold-{n}", tags=GOLDEN)
    settle(replicator, clock)
    assert appstream.max_in_flight["eu-west-1"] == 2
    assert {j.state for j in ledger.jobs.values()} == {"done"}
    assert appstream.operations().count("CopyImage") == 5  # never refused by AppStream


def test_limit_exceeded_from_appstream_requeues_without_failing(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    appstream.copy_limit = 0  # someone else's copies fill the quota
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN)
    replicator.sweep()
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert job.state == "queued"
    assert job.attempts == 0
    assert "limit" in (job.last_reason or "")
    appstream.copy_limit = 2
    settle(replicator, clock, rounds=3)
    finished = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert finished is not None
    assert finished.state == "done"
    assert finished.attempts == 1
    assert "golden_copy_failed" not in ledger.kinds()


def test_failures_back_off_then_give_up_and_report(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    appstream.failed_copies = ["IMAGE_COPY_FAILURE: boom"] * 3
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN)
    replicator.sweep()
    clock.advance(600)
    replicator.sweep()
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert job.state == "failed"
    assert job.attempts == 1
    assert job.next_attempt_at is not None
    assert (job.next_attempt_at - clock.now).total_seconds() == 30
    replicator.sweep()  # not due yet: no new copy
    assert appstream.operations().count("CopyImage") == 1

    settle(replicator, clock)
    final = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert final is not None
    assert final.state == "failed"
    assert final.attempts == 3
    assert final.next_attempt_at is None
    assert appstream.operations().count("DeleteImage") == 2  # each retry removed the failed copy
    assert ledger.kinds() == ["golden_copy_failed"]


def test_interrupted_copy_is_recognised_not_duplicated(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN)
    replicator.sweep()
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    # Simulate a crash before the "copying" write: the ledger still says queued.
    ledger.jobs[(job.source_arn, job.destination_region)] = job.model_copy(
        update={"state": "queued", "attempts": 0}
    )
    replicator.sweep()
    assert appstream.operations().count("CopyImage") == 1
    again = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert again is not None
    assert again.state == "copying"
    assert "already started" in (again.last_reason or "")


def test_forbidden_share_is_not_propagated(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    share = SharedAccountPermission(
        account_id="999999999999",
        permissions=Permissions(allow_fleet=True, allow_image_builder=True),
    )
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN, shared_with=(share,))
    settle(replicator, clock, rounds=2)
    copy = next(i for i in appstream.images.values() if i.ref.region == "eu-west-1")
    assert copy.permissions_of("999999999999") == Permissions(allow_fleet=True)
    [done] = ledger.outbox.values()
    assert done.payload["details"]["shares_not_propagated"][0]["permission"] == "image_builder"
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert "not propagated" in (job.last_reason or "")


def test_deleted_source_is_reported_once(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN)
    settle(replicator, clock, rounds=2)
    appstream.delete_image(source.ref)
    assert "reported" in replicator.on_deleted(source.ref)
    replicator.on_deleted(source.ref)
    replicator.sweep()
    assert ledger.kinds() == ["golden_copy_completed", "golden_source_deleted"]
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert job.state == "abandoned"
    assert any(i.ref.region == "eu-west-1" for i in appstream.images.values())


def test_events_start_work_and_replicas_are_never_sources(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger
) -> None:
    copy = seed(appstream, "eu-west-1", "gold-1", tags={**GOLDEN, TAG_SOURCE_ARN: "arn:x"})
    assert "never copied again" in replicator.replicate(copy.ref)
    plain = seed(appstream, "us-east-1", "plain")
    assert "not golden" in replicator.replicate(plain.ref)
    assert ledger.jobs == {}
    outcome = replicator.handle_event("not json at all")
    assert outcome.status == "rejected"


def test_a_name_held_by_another_image_is_reported_once_and_never_renamed(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN)
    holder = seed(appstream, "eu-west-1", "gold-1")
    for _ in range(3):
        replicator.sweep()
        clock.advance(600)
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert (job.state, job.destination_name, job.attempts) == ("queued", "gold-1", 0)
    assert "CopyImage" not in appstream.operations()
    assert ledger.kinds() == ["golden_name_taken"]
    (item,) = ledger.outbox.values()
    assert item.payload["details"]["taken_by_image_arn"] == holder.ref.arn
    assert item.payload["details"]["made_by"] == f"account {ACCOUNT}"


def test_a_finished_copy_that_drifts_is_restored(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN)
    settle(replicator, clock, rounds=3)
    copy = next(i for i in appstream.images.values() if i.ref.region == "eu-west-1")
    good = dict(copy.tags)
    appstream.images[copy.ref.arn] = copy.model_copy(update={"tags": {"golden": "no"}})
    replicator.sweep()
    assert appstream.images[copy.ref.arn].tags == good
    assert ledger.kinds() == ["drift_found", "golden_copy_completed"]
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert job.state == "done"
    replicator.sweep()  # restored: nothing more to say
    assert ledger.kinds() == ["drift_found", "golden_copy_completed"]


def test_a_held_name_tagged_with_the_source_is_adopted_as_the_copy(
    replicator: Replicator, appstream: FakeAppStream, ledger: FakeLedger, clock: FakeClock
) -> None:
    source = seed(appstream, "us-east-1", "gold-1", tags=GOLDEN)
    holder = seed(appstream, "eu-west-1", "gold-1")
    replicator.sweep()
    # The message's advice: tag the image with the source ARN to make it the copy.
    appstream.tag_image(holder.ref, {TAG_SOURCE_ARN: source.ref.arn})
    clock.advance(600)
    replicator.sweep()
    job = ledger.get_copy_job(source.ref.arn, "eu-west-1")
    assert job is not None
    assert job.state == "done"
    assert "CopyImage" not in appstream.operations()
    assert appstream.images[holder.ref.arn].tags["golden"] == "true"
