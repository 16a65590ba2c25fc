"""Re-deliver outbox items that ended in the notifier's on-failure DLQ.

Lambda's on-failure record for a DynamoDB stream carries only batch metadata
(``DDBStreamBatchInfo``: stream ARN, shard, first/last sequence numbers), not the items.
Replay therefore finds the outbox ids by one of, in order:

1. a message body that already names them (``{"outbox_id": ...}`` or a stream record with
   ``dynamodb.Keys``), for hand-made replays;
2. the stream itself (24 h retention), read through an injected :class:`StreamReader`;
3. the ledger's ``by-status`` index (``OUTBOX#dead_letter``), the fallback that never
   expires: every dead-lettered item is replayed even when the stream has moved on. When
   the stream cannot be read (a record older than 24 h is trimmed), the items still
   ``failed`` are swept too: the ledger's outbox is the source of truth, not the stream.

Each item is then re-read from the ledger by key and delivered once more (``replay=True``:
a failure marks it ``dead_letter`` again and is reported, not raised).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from govbot.gateways.streams import outbox_id_from_keys
from govbot.notify.delivery import DeliveryFailed, NotifierDeps, deliver_item

logger = logging.getLogger(__name__)


class StreamReader(Protocol):
    """Reads the outbox ids of a stream range (see ``DynamoStreamReader``)."""

    def outbox_ids(self, stream_arn: str, shard_id: str, start_seq: str, end_seq: str) -> list[str]:
        """Outbox ids of the records from ``start_seq`` to ``end_seq`` inclusive."""
        ...


def outbox_ids_from_message(body: dict[str, Any], reader: StreamReader | None) -> list[str]:
    """The outbox ids one DLQ message stands for (may be empty when nothing identifies them)."""
    if isinstance(body.get("outbox_id"), str):
        return [body["outbox_id"]]
    dynamodb = body.get("dynamodb")
    if isinstance(dynamodb, dict) and isinstance(dynamodb.get("Keys"), dict):
        found = outbox_id_from_keys(dynamodb["Keys"])
        return [found] if found else []
    info = body.get("DDBStreamBatchInfo")
    if isinstance(info, dict) and reader is not None:
        return reader.outbox_ids(
            str(info.get("streamArn")),
            str(info.get("shardId")),
            str(info.get("startSequenceNumber")),
            str(info.get("endSequenceNumber")),
        )
    return []


def _bodies(messages: Iterable[Any]) -> list[dict[str, Any]]:
    bodies = []
    for message in messages:
        raw = message.get("body", message) if isinstance(message, dict) else message
        try:
            body = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            logger.warning("DLQ message body is not JSON; skipped: %.80s", raw)
            continue
        if isinstance(body, dict):
            bodies.append(body)
    return bodies


def replay_dead_letters(
    messages: Iterable[Any],
    deps: NotifierDeps,
    *,
    reader: StreamReader | None = None,
    sweep_ledger: bool = True,
) -> dict[str, list[str]]:
    """Re-deliver the items behind DLQ ``messages`` (SQS records or bodies).

    Returns ``{"delivered": [...], "failed": [...], "skipped": [...]}`` (outbox ids);
    ``skipped`` are ids already delivered or folded.
    """
    ids: list[str] = []
    stream_failed = False
    for body in _bodies(messages):
        try:
            found = outbox_ids_from_message(body, reader)
        except Exception as exc:
            logger.warning("stream range unreadable (%s); replaying from the ledger", exc)
            stream_failed = True
            continue
        ids.extend(i for i in found if i not in ids)
    ledger: Any = deps.ledger
    if (sweep_ledger or stream_failed) and hasattr(ledger, "outbox_by_status"):
        statuses = ("dead_letter", "failed") if stream_failed else ("dead_letter",)
        for status in statuses:
            for item in ledger.outbox_by_status(status, limit=1000):
                if item.outbox_id not in ids:
                    ids.append(item.outbox_id)
    report: dict[str, list[str]] = {"delivered": [], "failed": [], "skipped": []}
    for outbox_id in ids:
        item = deps.ledger.get_outbox(outbox_id)
        if item is None:
            report["failed"].append(outbox_id)
            logger.warning("DLQ names outbox %s, which the ledger does not hold", outbox_id)
            continue
        if item.status in ("delivered", "folded"):
            report["skipped"].append(outbox_id)
            continue
        if item.status == "dead_letter":
            # Make it claimable again; attempts are kept for the record.
            deps.ledger.mark_outbox(
                outbox_id,
                status="failed",
                attempts=item.delivery_attempts,
                error=f"replayed from DLQ after: {item.last_error}",
            )
        try:
            result = deliver_item(item, deps, replay=True)
        except DeliveryFailed as exc:
            report["failed"].append(outbox_id)
            logger.warning("replay of outbox %s failed: %s", outbox_id, exc)
            continue
        report["delivered" if result.status in ("delivered", "folded") else "failed"].append(
            outbox_id
        )
    return report
