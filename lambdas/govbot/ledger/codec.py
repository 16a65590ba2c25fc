"""DynamoDB typing of ledger items (boto3's TypeSerializer/TypeDeserializer), pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from govbot.ledger.records import (
    ActionRecord,
    AnnouncedState,
    CopyJob,
    DecisionRecord,
    EventRecord,
    ExemptionRecord,
    LedgerRecord,
    OutboxItem,
    SweepLane,
    SweepPass,
)

RECORD_TYPES: dict[str, type[LedgerRecord]] = {
    cls.kind: cls
    for cls in (
        EventRecord,
        DecisionRecord,
        ActionRecord,
        OutboxItem,
        ExemptionRecord,
        CopyJob,
        AnnouncedState,
        SweepPass,
        SweepLane,
    )
}
KINDS: frozenset[str] = frozenset(RECORD_TYPES)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain item -> DynamoDB attribute values (``{"S": ...}``); floats are refused by boto3."""
    return {name: _serializer.serialize(value) for name, value in item.items()}


def deserialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values (a GetItem ``Item`` or a stream ``NewImage``) -> plain item."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def encode(record: LedgerRecord, *, retention_days: int) -> dict[str, Any]:
    """A stamped record -> typed item ready for PutItem."""
    return serialize_item(record.to_item(retention_days=retention_days))


def record_from_item(item: Mapping[str, Any], *, typed: bool = True) -> LedgerRecord:
    """Decode any ledger item into its record type, chosen by its ``kind``.

    ``typed=True`` (default) takes DynamoDB attribute values as read by the low-level client
    or carried by a stream record's ``NewImage``; ``typed=False`` takes a plain item.
    """
    plain = deserialize_item(item) if typed else dict(item)
    kind = plain.get("kind")
    record_type = RECORD_TYPES.get(kind) if isinstance(kind, str) else None
    if record_type is None:
        raise ValueError(
            f"ledger item {plain.get('pk')!r} has kind {kind!r}; expected one of {sorted(KINDS)}"
        )
    return record_type.from_item(plain)


def outbox_from_stream_image(new_image: Mapping[str, Any]) -> OutboxItem:
    """Decode a DynamoDB stream ``NewImage`` of an outbox INSERT (what the notifier gets)."""
    record = record_from_item(new_image)
    if not isinstance(record, OutboxItem):
        raise ValueError(f"stream image is a {record.kind!r} item, not an outbox item")
    return record
