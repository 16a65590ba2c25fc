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

Items left ``sending`` by a notifier that died holding the lease are swept too, once the
lease has expired (:func:`stalled_outbox_ids`). Each item is then re-read from the ledger
by key and delivered once more (``replay=True``: a failure marks it ``dead_letter`` again
and is reported, not raised).

:func:`redeliver_stalled` is the same sweep without an operator: the notifier's schedule
runs it, so an item whose stream retries ran out (``failed``), whose notifier died
(``sending``, lease expired) or whose stream record never got it claimed (``pending`` for
longer than ``PENDING_GRACE``) is delivered without anyone replaying the DLQ.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from govbot.gateways.streams import outbox_id_from_keys
from govbot.ledger.records import OutboxItem, OutboxStatus
from govbot.notifier.delivery import DeliveryFailed, NotifierDeps, deliver_item

logger = logging.getLogger(__name__)
# A pending item younger than this is left to its stream record (Lambda is on it).
PENDING_GRACE = timedelta(minutes=10)
SWEEP_LIMIT = 200


def stalled_outbox_ids(
    ledger: Any, now: datetime, statuses: Iterable[OutboxStatus], *, limit: int = SWEEP_LIMIT
) -> list[str]:
    """Ids of items in ``statuses`` that no live delivery holds, oldest first.

    ``sending`` counts only once its lease has expired (its notifier died); ``pending``
    only once older than :data:`PENDING_GRACE`.
    """
    found: list[str] = []
    for status in statuses:
        try:
            items = ledger.outbox_by_status(status, limit=limit)
        except Exception as exc:  # the other statuses are still worth sweeping
            logger.warning("outbox items %s not listed: %s", status, exc)
            continue
        for item in items:
            if _stalled(item, now) and item.outbox_id not in found:
                found.append(item.outbox_id)
    return found


def _stalled(item: OutboxItem, now: datetime) -> bool:
    if item.status == "sending":
        return item.lease_until is None or item.lease_until < now
    if item.status == "pending":
        return item.created_at is None or now - item.created_at > PENDING_GRACE
    return True


def redeliver_stalled(deps: NotifierDeps, *, limit: int = SWEEP_LIMIT) -> dict[str, list[str]]:
    """Deliver the items no stream record will deliver any more (the scheduled sweep).

    ``failed``, expired ``sending`` and old ``pending`` items; never ``dead_letter`` (an
    operator's replay decides those). Stops early when the invocation runs short.
    Returns ``{"delivered": [...], "failed": [...]}``.
    """
    ids = stalled_outbox_ids(deps.ledger, deps.clock(), ("sending", "failed", "pending"))
    report: dict[str, list[str]] = {"delivered": [], "failed": []}
    for outbox_id in ids[:limit]:
        if deps.time_left is not None and deps.time_left() < 10:
            break
        try:
            item = deps.ledger.get_outbox(outbox_id)
            if item is None:
                continue
            result = deliver_item(item, deps)
        except Exception as exc:  # one item's trouble never stops the sweep
            report["failed"].append(outbox_id)
            logger.warning("stalled outbox %s not delivered: %s", outbox_id, exc)
            continue
        report["delivered"].append(outbox_id)
        logger.info("stalled outbox %s: %s", outbox_id, result.status)
    return report


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
        statuses: tuple[OutboxStatus, ...] = ("dead_letter", "sending")
        if stream_failed:
            statuses += ("failed",)
        for stalled in stalled_outbox_ids(ledger, deps.clock(), statuses, limit=1000):
            if stalled not in ids:
                ids.append(stalled)
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
