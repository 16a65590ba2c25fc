"""Outbox writes and the notifier's claim / lease / mark bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest

from govbot.ledger import Ledger, OutboxNotFound, outbox_from_stream_image
from tests.fakes import FakeClock
from tests.integration.ledger.conftest import TABLE, RecordingClient, raw_item
from tests.unit.ledger.builders import IMAGE_ARN, outbox


def test_add_outbox_counts_only_new_items(ledger: Ledger) -> None:
    first, second = outbox("evt-1"), outbox("evt-2")
    assert ledger.add_outbox([first, second]) == 2
    assert ledger.add_outbox([first, outbox("evt-3")]) == 1

    stored = ledger.get_outbox(first.outbox_id)
    assert stored is not None
    assert stored.status == "pending"
    assert stored.payload["details"] == {"ratio": 0.5}  # floats survive as JSON text
    assert stored.payload["message_kind"] == "violation_remedied"
    assert ledger.get_outbox("missing") is None


def test_outbox_item_layout(ledger: Ledger, ddb: Any) -> None:
    item = outbox()
    ledger.add_outbox([item])
    raw = raw_item(ddb, f"OUTBOX#{item.outbox_id}", "OUTBOX")
    assert raw is not None
    assert raw["kind"] == {"S": "outbox"}
    assert raw["status_key"] == {"S": "OUTBOX#pending"}
    assert raw["image_arn"] == {"S": IMAGE_ARN}
    assert "S" in raw["payload"]  # JSON text, as the notifier contract says
    assert raw["delivery_attempts"] == {"N": "0"}
    assert "expires_at" in raw


def test_stream_image_decodes_to_outbox_item(ledger: Ledger, ddb: Any) -> None:
    item = outbox()
    ledger.add_outbox([item])
    raw = raw_item(ddb, f"OUTBOX#{item.outbox_id}", "OUTBOX")
    assert raw is not None
    decoded = outbox_from_stream_image(raw)
    assert decoded.outbox_id == item.outbox_id
    assert decoded.payload == item.payload
    assert decoded.created_at == ledger.now()


def test_outbox_by_status_uses_the_index_oldest_first(
    ledger: Ledger, recording: RecordingClient, clock: FakeClock
) -> None:
    ids = []
    for n in range(5):
        item = outbox(f"evt-{n}")
        ids.append(item.outbox_id)
        ledger.add_outbox([item])
        clock.advance(seconds=1)
    ledger.page_size = 2  # force several pages
    recording.reset()

    pending = ledger.outbox_by_status("pending", limit=4)

    assert [o.outbox_id for o in pending] == ids[:4]
    assert set(recording.operations()) == {"query"}
    assert all(kw["IndexName"] == "by-status" for _, kw in recording.calls)
    assert len(recording.calls) == 2  # stopped once the limit was reached
    with pytest.raises(ValueError, match="outbox status"):
        ledger.outbox_by_status("lost")  # type: ignore[arg-type]


def test_claim_is_exclusive(ledger: Ledger) -> None:
    item = outbox()
    ledger.add_outbox([item])

    assert ledger.claim_outbox_for_delivery(item.outbox_id) is True
    assert ledger.claim_outbox_for_delivery(item.outbox_id) is False

    stored = ledger.get_outbox(item.outbox_id)
    assert stored is not None
    assert stored.status == "sending"
    assert stored.lease_until is not None
    assert stored.lease_until > ledger.now()
    assert [o.outbox_id for o in ledger.outbox_by_status("sending")] == [item.outbox_id]
    assert ledger.outbox_by_status("pending") == []


def test_expired_lease_can_be_reclaimed(ledger: Ledger, clock: FakeClock) -> None:
    item = outbox()
    ledger.add_outbox([item])
    assert ledger.claim_outbox_for_delivery(item.outbox_id, lease_seconds=60)

    clock.advance(seconds=59)
    assert ledger.claim_outbox_for_delivery(item.outbox_id) is False
    clock.advance(seconds=2)
    assert ledger.claim_outbox_for_delivery(item.outbox_id) is True


def test_mark_delivered_releases_lease_and_blocks_new_claims(
    ledger: Ledger, clock: FakeClock
) -> None:
    item = outbox()
    ledger.add_outbox([item])
    ledger.claim_outbox_for_delivery(item.outbox_id)

    ledger.mark_outbox(item.outbox_id, status="delivered", attempts=1)

    stored = ledger.get_outbox(item.outbox_id)
    assert stored is not None
    assert stored.status == "delivered"
    assert stored.delivery_attempts == 1
    assert stored.delivered_at == clock()
    assert stored.lease_until is None
    clock.advance(hours=1)
    assert ledger.claim_outbox_for_delivery(item.outbox_id) is False
    assert [o.outbox_id for o in ledger.outbox_by_status("delivered")] == [item.outbox_id]


def test_failed_item_can_be_claimed_again_and_folded(ledger: Ledger) -> None:
    item = outbox()
    ledger.add_outbox([item])
    ledger.claim_outbox_for_delivery(item.outbox_id)
    ledger.mark_outbox(item.outbox_id, status="failed", attempts=1, error="HTTP 500")

    failed = ledger.get_outbox(item.outbox_id)
    assert failed is not None
    assert failed.last_error == "HTTP 500"
    assert ledger.claim_outbox_for_delivery(item.outbox_id) is True

    ledger.mark_outbox(item.outbox_id, status="folded", attempts=2, digest_id="digest-7")
    folded = ledger.get_outbox(item.outbox_id)
    assert folded is not None
    assert (folded.status, folded.digest_id, folded.delivered_at) == ("folded", "digest-7", None)


def test_unknown_outbox_ids_raise(ledger: Ledger) -> None:
    with pytest.raises(OutboxNotFound, match="nope"):
        ledger.claim_outbox_for_delivery("nope")
    with pytest.raises(OutboxNotFound, match="nope"):
        ledger.mark_outbox("nope", status="delivered", attempts=1)
    with pytest.raises(ValueError, match="mark_outbox status"):
        ledger.mark_outbox("nope", status="sending", attempts=1)


def test_two_ledgers_racing_for_one_item(ddb: Any, clock: FakeClock) -> None:
    # Two notifier invocations with their own gateways: only one may send.
    a = Ledger(TABLE, client=ddb, clock=clock)
    b = Ledger(TABLE, client=ddb, clock=clock)
    item = outbox()
    a.add_outbox([item])
    assert [
        a.claim_outbox_for_delivery(item.outbox_id),
        b.claim_outbox_for_delivery(item.outbox_id),
    ] == [True, False]
