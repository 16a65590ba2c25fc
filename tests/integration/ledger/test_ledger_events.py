"""record_event, record_rejected, get_event and put_action against moto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from govbot.ledger import EventRecord, Ledger, rejected_event_id
from govbot.ledger.records.inputs import OutcomeCommit
from tests.fakes import FakeClock
from tests.integration.ledger.conftest import START, RecordingClient, raw_item
from tests.unit.ledger.builders import BOT_ARN, GRANTEE, IMAGE_ARN, T0, action, decision, event


def test_record_event_writes_once_and_reports_duplicates(ledger: Ledger, ddb: Any) -> None:
    assert ledger.record_event(event()) is True
    assert ledger.record_event(event(note="second delivery")) is False

    stored = ledger.get_event("evt-1").event
    assert stored is not None
    assert stored.note is None  # the duplicate did not overwrite the first delivery
    assert stored.received_at == START  # stamped with the ledger clock
    assert stored.status == "received"


def test_event_item_carries_index_attributes_and_ttl(ledger: Ledger, ddb: Any) -> None:
    ledger.record_event(event())

    item = raw_item(ddb, "EVENT#evt-1", "EVENT")
    assert item is not None
    assert item["kind"] == {"S": "event"}
    assert item["ts"] == {"S": "2026-11-27T16:00:00.000Z"}
    assert item["day"] == {"S": "2026-11-27"}
    assert item["image_arn"] == {"S": IMAGE_ARN}
    assert item["shared_account_id"] == {"S": GRANTEE}
    assert item["status_key"] == {"S": "EVENT#received"}
    # retention_days=30 from the fixture, anchored on ts
    assert item["expires_at"] == {"N": str(int((T0 + timedelta(days=30)).timestamp()))}


def test_event_without_optional_fields_leaves_sparse_keys_out(ledger: Ledger, ddb: Any) -> None:
    ledger.record_event(EventRecord(event_id="bare", raw="{}"))

    item = raw_item(ddb, "EVENT#bare", "EVENT")
    assert item is not None
    assert "image_arn" not in item
    assert "shared_account_id" not in item
    assert item["ts"] == {"S": "2026-11-27T16:00:00.000Z"}  # falls back to received_at


def test_record_rejected_is_idempotent_and_hashes_raw(ledger: Ledger, clock: FakeClock) -> None:
    raw = '{"detail": "garbage"'
    first = ledger.record_rejected(reason="invalid JSON", raw=raw, received_at=START)
    clock.advance(minutes=5)
    again = ledger.record_rejected(reason="invalid JSON", raw=raw, received_at=clock())

    assert first == again == rejected_event_id(raw)
    stored = ledger.get_event(first).event
    assert stored is not None
    assert stored.status == "rejected"
    assert stored.reason == "invalid JSON"
    assert stored.raw == raw
    assert stored.received_at == START
    assert [e.event_id for e in ledger.events_by_status("rejected")] == [first]


def test_record_rejected_keys_apart_from_the_claimed_id_and_truncates_huge_raw(
    ledger: Ledger,
) -> None:
    raw = "x" * 70_000
    rec_id = ledger.record_rejected(
        reason="account not governed", raw=raw, event_id="evt-9", received_at=START
    )

    assert rec_id == rejected_event_id(raw)
    assert not ledger.get_event("evt-9").exists  # the real evt-9 can still be recorded
    stored = ledger.get_event(rec_id).event
    assert stored is not None
    assert stored.claimed_event_id == "evt-9"
    assert len(stored.raw) == 64_000
    assert stored.note == "raw truncated from 70000 to 64000 characters"


def test_get_event_returns_bundle_with_one_query(
    ledger: Ledger, recording: RecordingClient
) -> None:
    ledger.record_event(event())
    ledger.put_action(action(seq=2, operation="DescribeImagePermissions", status="succeeded"))
    ledger.put_action(action(seq=1, status="started"))
    ledger.commit_outcome(OutcomeCommit("evt-1", decisions=[decision()], actions=[action(seq=1)]))
    recording.reset()

    bundle = ledger.get_event("evt-1")

    assert recording.operations() == ["query"]
    assert bundle.exists
    assert bundle.is_final
    assert bundle.event is not None
    assert bundle.event.status == "processed"
    assert [d.rule_id for d in bundle.decisions] == ["no-builder-sharing"]
    assert [(a.seq, a.status) for a in bundle.actions] == [(1, "succeeded"), (2, "succeeded")]
    assert bundle.actions[0].actor_arn == BOT_ARN
    assert bundle.actions[0].request["ImagePermissions"] == {
        "allowFleet": True,
        "allowImageBuilder": False,
    }


def test_get_event_of_unknown_id_is_empty(ledger: Ledger) -> None:
    bundle = ledger.get_event("nope")
    assert not bundle.exists
    assert not bundle.is_final
    assert bundle.decisions == ()
    assert bundle.actions == ()


def test_put_action_upserts_started_then_final(ledger: Ledger, clock: FakeClock) -> None:
    ledger.put_action(action(status="started"))
    clock.advance(seconds=2)
    ledger.put_action(action(status="failed", error="LimitExceededException"))

    actions = ledger.get_event("evt-1").actions
    assert len(actions) == 1
    assert actions[0].status == "failed"
    assert actions[0].error == "LimitExceededException"
    assert actions[0].recorded_at == clock()
