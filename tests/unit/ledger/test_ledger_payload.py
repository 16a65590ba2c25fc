"""The outbox payload model: producers write it, the notifier reads the same model back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from govbot.ledger.keys import outbox_id_for
from govbot.ledger.records import OutboxItem
from govbot.ledger.records.payload import ExposureWindow, OutboxPayload
from govbot.notify.model import PayloadError, parse_payload

T0 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_an_item_from_a_payload_stores_only_the_fields_set_and_reads_back_equal() -> None:
    payload = OutboxPayload(
        message_kind="event_rejected",
        severity="low",
        summary="govbot rejected an event it could not handle",
        details={"reason": "bad", "ledger_id": "REJ-1"},
    )
    item = OutboxItem.from_payload(payload, discriminators=("REJ-1",))
    assert item.outbox_id == outbox_id_for("event_rejected", "REJ-1")
    assert (item.message_kind, item.severity) == ("event_rejected", "low")
    assert item.payload == {
        "message_kind": "event_rejected",
        "severity": "low",
        "summary": "govbot rejected an event it could not handle",
        "details": {"reason": "bad", "ledger_id": "REJ-1"},
    }
    assert parse_payload(json.dumps(item.payload), outbox_id=item.outbox_id) == payload


def test_extra_fields_are_kept_for_the_notifier() -> None:
    payload = OutboxPayload(message_kind="drift_found", event_name="DriftSweep")
    item = OutboxItem.from_payload(payload, discriminators=("run",))
    assert item.payload["event_name"] == "DriftSweep"
    assert parse_payload(item.payload).model_extra == {"event_name": "DriftSweep"}


def test_an_unknown_kind_is_refused_where_the_payload_is_written() -> None:
    with pytest.raises(ValueError, match="message_kind"):
        OutboxPayload(message_kind="violation_maybe")
    with pytest.raises(PayloadError, match="message_kind"):
        parse_payload({"message_kind": "violation_maybe"}, outbox_id="x")


def test_exposure_window_known_and_unknown_grant() -> None:
    known = ExposureWindow.between(T0, T0 + timedelta(minutes=1, seconds=5))
    assert known.as_json() == {
        "granted_at": "2026-11-27T16:00:00.000Z",
        "revoked_at": "2026-11-27T16:01:05.000Z",
        "seconds": 65.0,
    }
    assert known.text() == "2026-11-27T16:00:00.000Z → 2026-11-27T16:01:05.000Z (1m 5s)"
    unknown = ExposureWindow.between(None, T0, note="granted earlier")
    assert unknown.as_json() == {
        "granted_at": None,
        "revoked_at": "2026-11-27T16:00:00.000Z",
        "seconds": None,
        "note": "granted earlier",
    }
    assert unknown.text() is None
