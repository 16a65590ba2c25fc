"""History queries go through their GSI, paginate, and never Scan."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govbot.ledger import EventRecord, Ledger, OutboxItem, format_ts
from govbot.ledger.records.inputs import OutcomeCommit
from tests.fakes import FakeClock
from tests.integration.ledger.conftest import RecordingClient
from tests.unit.ledger.builders import (
    GRANTEE,
    IMAGE_ARN,
    OTHER,
    OTHER_IMAGE_ARN,
    T0,
    action,
    decision,
    event,
    outbox,
)


@pytest.fixture
def history(ledger: Ledger, clock: FakeClock, recording: RecordingClient) -> Ledger:
    """Three events a day apart (two on IMAGE_ARN, one on OTHER_IMAGE_ARN), each committed."""
    plan = [
        ("evt-a", IMAGE_ARN, GRANTEE),
        ("evt-b", OTHER_IMAGE_ARN, OTHER),
        ("evt-c", IMAGE_ARN, OTHER),
    ]
    for n, (event_id, image_arn, grantee) in enumerate(plan):
        clock.now = T0 + timedelta(days=n, hours=1)
        ledger.record_event(
            event(event_id, image_arn=image_arn, shared_account_id=grantee, occurred_at=clock())
        )
        ledger.commit_outcome(
            OutcomeCommit(
                event_id,
                decisions=[decision(event_id, image_arn=image_arn, account_id=grantee)],
                actions=[action(event_id, image_arn=image_arn, shared_account_id=grantee)],
                outbox=[outbox(event_id)],
            )
        )
    recording.reset()
    ledger.page_size = 2
    return ledger


def _assert_only_index_queries(recording: RecordingClient, index: str) -> None:
    assert recording.calls, "no call was made"
    assert {name for name, _ in recording.calls} == {"query"}
    assert {kw["IndexName"] for _, kw in recording.calls} == {index}


def test_by_image_returns_everything_about_the_image(
    history: Ledger, recording: RecordingClient
) -> None:
    records = history.by_image(IMAGE_ARN)

    _assert_only_index_queries(recording, "by-image")
    assert len(recording.calls) > 1  # page_size 2 forced pagination
    kinds = [(r.kind, getattr(r, "event_id", None)) for r in records]
    assert ("event", "evt-a") in kinds
    assert ("event", "evt-c") in kinds
    assert all(getattr(r, "event_id", None) != "evt-b" for r in records)
    # outbox items carry payload.image_arn (the builder uses IMAGE_ARN for every event)
    assert sum(isinstance(r, OutboxItem) for r in records) == 3
    timestamps = [format_ts(r.timestamp() or T0) for r in records]
    assert timestamps == sorted(timestamps)


def test_by_image_with_range_and_kinds(history: Ledger, recording: RecordingClient) -> None:
    records = history.by_image(
        IMAGE_ARN, start=T0 + timedelta(days=2), end=T0 + timedelta(days=3), kinds={"event"}
    )
    _assert_only_index_queries(recording, "by-image")
    assert all(isinstance(r, EventRecord) for r in records)
    assert [getattr(r, "event_id", None) for r in records] == ["evt-c"]


def test_by_account_finds_decisions_and_actions_of_a_grantee(
    history: Ledger, recording: RecordingClient
) -> None:
    records = history.by_account(OTHER, kinds=["decision", "action"])

    _assert_only_index_queries(recording, "by-account")
    found = {(r.kind, getattr(r, "event_id", None)) for r in records}
    assert found == {
        ("decision", "evt-b"),
        ("decision", "evt-c"),
        ("action", "evt-b"),
        ("action", "evt-c"),
    }
    only_first_day = history.by_account(OTHER, end=T0 + timedelta(days=1, hours=12))
    assert {getattr(r, "event_id", None) for r in only_first_day} == {"evt-b"}


def test_by_time_walks_day_partitions(history: Ledger, recording: RecordingClient) -> None:
    # T0 is 16:00 on the 27th: the range ends at 15:00 on the 29th, before evt-c (17:00).
    records = history.by_time(T0, T0 + timedelta(days=1, hours=23), kinds={"event"})

    _assert_only_index_queries(recording, "by-time")
    days = [kw["ExpressionAttributeValues"][":pk"]["S"] for _, kw in recording.calls]
    assert sorted(set(days)) == ["2026-11-27", "2026-11-28", "2026-11-29"]
    assert [getattr(r, "event_id", None) for r in records] == ["evt-a", "evt-b"]


def test_by_time_respects_bounds_inside_a_day(history: Ledger) -> None:
    first_hour = history.by_time(T0, T0 + timedelta(minutes=59))
    assert first_hour == []
    around = history.by_time(T0 + timedelta(minutes=59), T0 + timedelta(hours=1), limit=2)
    assert len(around) == 2


def test_events_by_status_lists_unfinished_events(ledger: Ledger, clock: FakeClock) -> None:
    ledger.record_event(event("done"))
    ledger.commit_outcome(OutcomeCommit("done"))
    clock.advance(seconds=1)
    ledger.record_event(event("stuck", occurred_at=None))
    assert [e.event_id for e in ledger.events_by_status("received")] == ["stuck"]
    with pytest.raises(ValueError, match="only open statuses"):
        ledger.events_by_status("processed")


def test_queries_reject_bad_arguments(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="reversed"):
        ledger.by_time(T0, T0 - timedelta(days=1))
    with pytest.raises(ValueError, match="unknown ledger kinds"):
        ledger.by_image(IMAGE_ARN, kinds={"evnt"})
    with pytest.raises(ValueError, match="must not be empty"):
        ledger.by_account("")
    with pytest.raises(ValueError, match="at most 800"):
        ledger.by_time(T0, T0 + timedelta(days=900))
