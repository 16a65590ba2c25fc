"""tests.fakes.FakeLedger keeps the real ledger's contract: the same story, run against the
real ``Ledger`` on moto and against the fake, must give the same answers.

The unit tests lean on the fake; this is what makes a green unit test mean something.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from govbot.ledger import (
    ConcurrentUpdate,
    CopyJob,
    EventNotRecorded,
    Ledger,
    OutboxNotFound,
    TransactionTooLarge,
    UnhandledInput,
)
from govbot.ledger.records.inputs import OutcomeCommit
from tests.fakes import FakeClock, FakeLedger
from tests.integration.ledger.conftest import TABLE
from tests.unit.ledger.builders import (
    GRANTEE,
    IMAGE_ARN,
    OTHER,
    action,
    decision,
    event,
    outbox,
)

Either = Ledger | FakeLedger


@pytest.fixture(params=["moto", "fake"])
def either(request: pytest.FixtureRequest, clock: FakeClock) -> Either:
    if request.param == "fake":
        return FakeLedger(clock)
    ddb: Any = request.getfixturevalue("ddb")
    return Ledger(TABLE, client=ddb, retention_days=30, clock=clock)


def test_an_event_is_recorded_once(either: Either) -> None:
    assert either.record_event(event()) is True
    assert either.record_event(event()) is False


def test_a_commit_happens_once_and_needs_its_event(either: Either) -> None:
    with pytest.raises(EventNotRecorded):
        either.commit_outcome(OutcomeCommit("evt-1", decisions=[decision()]))
    either.record_event(event())
    first = either.commit_outcome(
        OutcomeCommit(
            "evt-1", decisions=[decision()], actions=[action()], outbox=[outbox()], note="done"
        )
    )
    second = either.commit_outcome(OutcomeCommit("evt-1", decisions=[decision(account_id=OTHER)]))
    assert (first, second) == (True, False)
    bundle = either.get_event("evt-1")
    assert bundle.event is not None
    assert (bundle.event.status, bundle.event.note) == ("processed", "done")
    assert [d.account_id for d in bundle.decisions] == [GRANTEE]  # the second wrote nothing
    assert [a.seq for a in bundle.actions] == [1]


def test_a_commit_over_100_items_is_refused_whole(either: Either) -> None:
    actions = [action(seq=n) for n in range(1, 101)]
    with pytest.raises(TransactionTooLarge):  # before the event is even looked at
        either.commit_outcome(OutcomeCommit("evt-1", actions=actions))
    either.record_event(event())
    with pytest.raises(TransactionTooLarge):
        either.commit_outcome(OutcomeCommit("evt-1", actions=actions))
    bundle = either.get_event("evt-1")
    assert bundle.event is not None
    assert (bundle.event.status, bundle.actions) == ("received", ())


def test_an_existing_outbox_item_is_never_overwritten(either: Either) -> None:
    item = outbox()
    assert either.add_outbox([item]) == 1
    changed = item.model_copy(update={"severity": "low"})
    assert either.add_outbox([changed]) == 0
    either.record_event(event())
    assert (
        either.commit_outcome(OutcomeCommit("evt-1", outbox=[changed])) is True
    )  # dropped, not refused
    stored = either.get_outbox(item.outbox_id)
    assert stored is not None
    assert stored.severity == item.severity


def test_outbox_claims_follow_status_and_lease(either: Either, clock: FakeClock) -> None:
    item = outbox()
    either.add_outbox([item])
    with pytest.raises(OutboxNotFound):
        either.claim_outbox_for_delivery("nope")
    assert either.claim_outbox_for_delivery(item.outbox_id, lease_seconds=60) is True
    assert either.claim_outbox_for_delivery(item.outbox_id, lease_seconds=60) is False
    clock.advance(61)  # the claimer died: its lease runs out
    assert either.claim_outbox_for_delivery(item.outbox_id, lease_seconds=60) is True
    either.mark_outbox(item.outbox_id, status="failed", attempts=1, error="HTTP 500")
    assert [i.outbox_id for i in either.outbox_by_status("failed")] == [item.outbox_id]
    assert either.claim_outbox_for_delivery(item.outbox_id) is True  # a retry
    either.mark_outbox(item.outbox_id, status="delivered", attempts=2)
    assert either.claim_outbox_for_delivery(item.outbox_id) is False
    stored = either.get_outbox(item.outbox_id)
    assert stored is not None
    assert (stored.status, stored.delivery_attempts, stored.lease_until) == ("delivered", 2, None)


def test_copy_jobs_take_an_optimistic_lock(either: Either) -> None:
    job = CopyJob(source_arn=IMAGE_ARN, destination_region="eu-west-1", destination_name="g")
    first = either.put_copy_job(job, expected_version=None)
    assert first.version == 1
    with pytest.raises(ConcurrentUpdate):
        either.put_copy_job(job, expected_version=None)
    second = either.put_copy_job(first.model_copy(update={"state": "copying"}), expected_version=1)
    assert second.version == 2
    with pytest.raises(ConcurrentUpdate):
        either.put_copy_job(first, expected_version=1)
    stored = either.get_copy_job(IMAGE_ARN, "eu-west-1")
    assert stored is not None
    assert (stored.state, stored.version) == ("copying", 2)
    assert [j.state for j in either.active_copy_jobs()] == ["copying"]


def test_queries_answer_the_same(either: Either, clock: FakeClock) -> None:
    for n in range(3):
        either.record_event(event(f"evt-{n}", occurred_at=clock() + timedelta(minutes=n)))
    either.commit_outcome(
        OutcomeCommit("evt-0", decisions=[decision("evt-0")], outbox=[outbox("evt-0")])
    )
    either.record_unhandled(UnhandledInput("rejected", "not JSON", "{", clock()))

    def shape(records: list[Any]) -> list[tuple[str, str]]:
        return [(r.kind, r.keys()[0]) for r in records]

    assert shape(either.by_image(IMAGE_ARN, kinds={"event"})) == [
        ("event", "EVENT#evt-0"),
        ("event", "EVENT#evt-1"),
        ("event", "EVENT#evt-2"),
    ]
    assert shape(either.by_account(GRANTEE, kinds={"decision"})) == [("decision", "EVENT#evt-0")]
    assert [e.event_id for e in either.events_by_status("received")] == ["evt-1", "evt-2"]
    assert [e.reason for e in either.events_by_status("rejected")] == ["not JSON"]
    with pytest.raises(ValueError, match="open statuses"):
        either.events_by_status("processed")
