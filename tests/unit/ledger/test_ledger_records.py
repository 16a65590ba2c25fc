"""Record models: keys, index attributes, TTL and the DynamoDB codec (all pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from govbot.ledger import (
    CopyJob,
    EventRecord,
    ExemptionRecord,
    LedgerRecord,
    OutboxItem,
    record_from_item,
)
from govbot.ledger.codec import encode, outbox_from_stream_image, serialize_item
from govbot.notifier.model import PayloadError, parse_payload
from tests.unit.ledger.builders import (
    GRANTEE,
    IMAGE_ARN,
    T0,
    action,
    copy_job,
    decision,
    exemption,
    outbox,
)
from tests.unit.ledger.builders import event as make_event

NOW = T0 + timedelta(minutes=1)
ALL_RECORDS: list[LedgerRecord] = [
    make_event(),
    decision(),
    action(),
    outbox(),
    exemption(),
    copy_job(),
    copy_job(state="done"),
]


@pytest.mark.parametrize("record", ALL_RECORDS, ids=lambda r: type(r).__name__)
def test_every_record_survives_the_dynamodb_codec(record: LedgerRecord) -> None:
    stamped = record.stamped(NOW)
    typed = encode(stamped, retention_days=400)

    assert record_from_item(typed) == stamped
    assert typed["kind"] == {"S": record.kind}
    assert typed["day"]["S"] == typed["ts"]["S"][:10]


def test_event_item_layout_and_ttl() -> None:
    item = make_event().stamped(NOW).to_item(retention_days=10)
    assert (item["pk"], item["sk"]) == ("EVENT#evt-1", "EVENT")
    assert item["ts"] == "2026-11-27T16:00:00.000Z"  # occurred_at wins over received_at
    assert item["received_at"] == "2026-11-27T16:01:00.000Z"
    assert item["expires_at"] == int((T0 + timedelta(days=10)).timestamp())
    assert item["status_key"] == "EVENT#received"
    processed = make_event(status="processed").stamped(NOW).to_item(retention_days=10)
    assert "status_key" not in processed


def test_none_fields_are_left_out_to_keep_indexes_sparse() -> None:
    item = EventRecord(event_id="e", raw="{}").stamped(NOW).to_item(retention_days=1)
    for absent in ("image_arn", "shared_account_id", "occurred_at", "event_name"):
        assert absent not in item


def test_decision_is_indexed_under_its_grantee() -> None:
    item = decision().stamped(NOW).to_item(retention_days=1)
    assert item["sk"] == f"DECISION#no-builder-sharing#{GRANTEE}#image_builder"
    assert item["shared_account_id"] == GRANTEE
    assert item["ts"] == "2026-11-27T16:01:00.000Z"


def test_action_request_is_json_text() -> None:
    item = action().stamped(NOW).to_item(retention_days=1)
    assert isinstance(item["request"], str)
    assert '"allowImageBuilder":false' in item["request"]
    with pytest.raises(ValidationError, match="JSON-serialisable"):
        action(request={"when": object()})


def test_stamping_keeps_existing_times() -> None:
    first = decision().stamped(NOW)
    assert first.decided_at == NOW
    assert first.stamped(NOW + timedelta(hours=1)).decided_at == NOW


def test_naive_datetime_in_a_record_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="no timezone"):
        make_event(occurred_at=datetime(2026, 11, 27))


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="event_nam"):
        EventRecord(event_id="e", event_nam="typo")  # type: ignore[call-arg]


def test_outbox_payload_gets_kind_and_severity() -> None:
    item = outbox()
    assert item.payload["message_kind"] == "violation_remedied"
    assert item.payload["severity"] == "high"
    assert item.index_attributes() == {"status_key": "OUTBOX#pending", "image_arn": IMAGE_ARN}
    with pytest.raises(ValidationError, match=r"payload.severity='low' disagrees"):
        OutboxItem(
            outbox_id="x",
            message_kind="drift_found",
            severity="high",
            payload={"severity": "low"},
        )
    # A kind is a registered KindSpec (govbot.kinds, which the ledger cannot import: the
    # kinds' payload models live here); an unregistered one is refused where it is read.
    gossip = OutboxItem.model_validate(
        {"outbox_id": "x", "message_kind": "gossip", "severity": "high", "payload": {}}
    )
    with pytest.raises(PayloadError, match="'message_kind' is 'gossip', expected one of"):
        parse_payload(gossip.payload, outbox_id=gossip.outbox_id)


def test_outbox_from_stream_image_refuses_other_kinds() -> None:
    image = encode(make_event().stamped(NOW), retention_days=1)
    with pytest.raises(ValueError, match="not an outbox item"):
        outbox_from_stream_image(image)
    assert outbox_from_stream_image(encode(outbox().stamped(NOW), retention_days=1)).status == (
        "pending"
    )


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="has kind 'idempotency'"):
        record_from_item(serialize_item({"pk": "idempotency#fn", "kind": "idempotency"}))


def test_exemption_needs_a_target_and_stores_its_end_apart_from_ttl() -> None:
    with pytest.raises(ValidationError, match="needs image_arn or image_selector"):
        exemption(image_arn=None)
    rec = exemption(image_arn=None, image_selector="golden-*")
    item = rec.stamped(NOW).to_item(retention_days=5)
    assert item["valid_until"] == "2026-12-04T00:00:00.000Z"
    assert item["expires_at"] == int(datetime(2026, 12, 9, tzinfo=UTC).timestamp())
    assert "image_arn" not in item
    assert rec.is_active(NOW)
    assert not rec.is_active(datetime(2026, 12, 4, tzinfo=UTC))
    assert not exemption(status="revoked").is_active(NOW)


def test_copy_job_lifecycle_and_history_cap() -> None:
    job = copy_job()
    assert job.is_active
    assert job.ttl_anchor() is None
    for n in range(25):
        job = job.transition("failed", at=T0 + timedelta(minutes=n), reason=f"try {n}")
    assert len(job.history) == 20
    assert job.history[-1].reason == "try 24"
    assert job.last_reason == "try 24"
    done = job.transition("done", at=NOW).stamped(NOW)
    assert not done.is_active
    assert "status_key" not in done.index_attributes()
    assert done.ttl_anchor() == NOW
    assert copy_job().stamped(NOW).index_attributes()["status_key"] == "COPYJOB#active"


def test_copy_job_refuses_non_image_arn() -> None:
    with pytest.raises(ValidationError, match="not an AppStream image ARN"):
        CopyJob(source_arn="golden-base", destination_region="eu-west-1", destination_name="g")


def test_to_item_requires_a_timestamp() -> None:
    with pytest.raises(ValueError, match="no timestamp yet"):
        ExemptionRecord.model_validate(exemption().model_dump()).to_item(retention_days=1)


def test_key_components_are_checked_at_construction() -> None:
    with pytest.raises(ValidationError, match="permission must not contain '#'"):
        decision(permission="fleet#x")
    with pytest.raises(ValidationError, match="operation must not contain '#'"):
        action(operation="Update#Image")
