"""commit_outcome: atomic, idempotent, bounded."""

from __future__ import annotations

from typing import Any

import pytest

from govbot.ledger import EventNotRecorded, Ledger, LedgerError, TransactionTooLarge
from govbot.ledger.records.inputs import OutcomeCommit
from tests.integration.ledger.conftest import RecordingClient, count_items, raw_item
from tests.unit.ledger.builders import OTHER, action, decision, event, outbox


def _commit(ledger: Ledger) -> bool:
    return ledger.commit_outcome(
        OutcomeCommit(
            "evt-1",
            decisions=[decision(), decision(account_id=OTHER, outcome="allowed")],
            actions=[action(seq=1)],
            outbox=[outbox()],
        )
    )


def test_commit_writes_everything_in_one_transaction(
    ledger: Ledger, recording: RecordingClient, ddb: Any
) -> None:
    ledger.record_event(event())
    recording.reset()

    assert _commit(ledger) is True

    assert recording.operations() == ["transact_write_items"]
    bundle = ledger.get_event("evt-1")
    assert bundle.event is not None
    assert bundle.event.status == "processed"
    assert bundle.event.completed_at is not None
    assert len(bundle.decisions) == 2
    assert [a.status for a in bundle.actions] == ["succeeded"]
    assert ledger.get_outbox(outbox().outbox_id) is not None
    # processed events leave the by-status index
    assert "status_key" not in (raw_item(ddb, "EVENT#evt-1", "EVENT") or {})
    assert ledger.events_by_status("received") == []


def test_second_commit_returns_false_and_writes_nothing(ledger: Ledger, ddb: Any) -> None:
    ledger.record_event(event())
    assert _commit(ledger) is True
    items_after_first = count_items(ddb)
    first_outbox = raw_item(ddb, f"OUTBOX#{outbox().outbox_id}", "OUTBOX")

    assert _commit(ledger) is False

    assert count_items(ddb) == items_after_first == 5  # event, 2 decisions, action, outbox
    assert raw_item(ddb, f"OUTBOX#{outbox().outbox_id}", "OUTBOX") == first_outbox


def test_commit_of_unrecorded_event_raises_and_writes_nothing(ledger: Ledger, ddb: Any) -> None:
    with pytest.raises(EventNotRecorded, match="evt-1"):
        _commit(ledger)
    assert count_items(ddb) == 0  # the transaction was all or nothing


def test_commit_of_rejected_event_is_refused(ledger: Ledger) -> None:
    ledger.record_event(event().model_copy(update={"status": "rejected"}))
    with pytest.raises(LedgerError, match="'rejected'"):
        _commit(ledger)
    assert ledger.get_event("evt-1").decisions == ()


def test_existing_outbox_item_is_dropped_not_duplicated(ledger: Ledger, ddb: Any) -> None:
    ledger.record_event(event())
    already = outbox()
    assert ledger.add_outbox([already]) == 1
    fresh = outbox(kind="violation_audit")

    assert ledger.commit_outcome(
        OutcomeCommit("evt-1", decisions=[decision()], outbox=[already, fresh])
    )

    assert ledger.get_event("evt-1").is_final
    assert ledger.get_outbox(fresh.outbox_id) is not None
    assert count_items(ddb) == 4  # event, decision, 2 outbox items


def test_ignored_commit_with_no_records(ledger: Ledger) -> None:
    ledger.record_event(event())
    assert ledger.commit_outcome(OutcomeCommit("evt-1", event_status="ignored")) is True
    stored = ledger.get_event("evt-1").event
    assert stored is not None
    assert stored.status == "ignored"


def test_commit_above_transaction_limit_raises_before_writing(
    ledger: Ledger, recording: RecordingClient
) -> None:
    ledger.record_event(event())
    decisions = [decision(rule_id=f"rule-{n}") for n in range(100)]
    recording.reset()

    with pytest.raises(TransactionTooLarge, match="101 items"):
        ledger.commit_outcome(OutcomeCommit("evt-1", decisions=decisions))
    assert recording.operations() == []


def test_commit_refuses_foreign_records_and_duplicates(ledger: Ledger) -> None:
    ledger.record_event(event())
    with pytest.raises(ValueError, match="belongs to event 'evt-2'"):
        ledger.commit_outcome(OutcomeCommit("evt-1", decisions=[decision("evt-2")]))
    with pytest.raises(ValueError, match="twice"):
        ledger.commit_outcome(
            OutcomeCommit("evt-1", decisions=[decision(), decision(reason="again")])
        )
    with pytest.raises(ValueError, match="event_status"):
        ledger.commit_outcome(OutcomeCommit("evt-1", event_status="received"))  # type: ignore[arg-type]
