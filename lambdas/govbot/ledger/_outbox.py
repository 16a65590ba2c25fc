"""Outbox writes and the notifier's delivery bookkeeping (claim with a lease, mark)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Final, get_args

from botocore.exceptions import ClientError

from govbot.ledger._core import LedgerCore, is_condition_failure
from govbot.ledger.errors import OutboxNotFound
from govbot.ledger.keys import BY_STATUS, OUTBOX_SK, format_ts, outbox_pk, status_key
from govbot.ledger.records import CLAIMABLE_OUTBOX_STATUSES, OutboxItem, OutboxStatus

DEFAULT_LEASE_SECONDS: Final = 120
# Marking an item "sending" is the claim's job; mark_outbox records an attempt's result.
_MARKABLE: Final = tuple(s for s in get_args(OutboxStatus) if s != "sending")


class OutboxMixin(LedgerCore):
    """add_outbox, get_outbox, outbox_by_status, claim_outbox_for_delivery, mark_outbox."""

    def add_outbox(self, items: Iterable[OutboxItem]) -> int:
        """Write outbox items that have no decision behind them; return how many were new."""
        return sum(1 for item in items if self._put_new(item))

    def get_outbox(self, outbox_id: str) -> OutboxItem | None:
        """The outbox item, or None."""
        record = self._get(outbox_pk(outbox_id), OUTBOX_SK)
        assert record is None or isinstance(record, OutboxItem)
        return record

    def outbox_by_status(self, status: OutboxStatus, limit: int = 100) -> list[OutboxItem]:
        """Up to ``limit`` outbox items in ``status``, oldest first (``by-status`` index)."""
        if status not in get_args(OutboxStatus):
            raise ValueError(f"outbox status must be one of {get_args(OutboxStatus)}: {status!r}")
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        records = self._query(
            index=BY_STATUS,
            key_condition="#sk = :sk",
            names={"#sk": "status_key"},
            values={":sk": status_key("OUTBOX", status)},
            limit=limit,
        )
        return [r for r in records if isinstance(r, OutboxItem)]

    def claim_outbox_for_delivery(
        self, outbox_id: str, *, lease_seconds: int = DEFAULT_LEASE_SECONDS
    ) -> bool:
        """Take the item for delivery (status ``sending`` under a lease); False if not ours.

        Claimable: ``pending``, ``failed`` (a retry), or ``sending`` whose lease expired
        (its notifier died). Two concurrent claims never both succeed.
        Raises :class:`OutboxNotFound` for an unknown id.
        """
        if lease_seconds < 1:
            raise ValueError(f"lease_seconds must be >= 1, got {lease_seconds}")
        now = self.now()
        claimable = {f":c{i}": {"S": s} for i, s in enumerate(CLAIMABLE_OUTBOX_STATUSES)}
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=self._key(outbox_pk(outbox_id), OUTBOX_SK),
                UpdateExpression="SET #status = :sending, status_key = :skey, lease_until = :lease",
                ConditionExpression=(
                    f"attribute_exists(pk) AND (#status IN ({', '.join(claimable)}) "
                    "OR (#status = :sending AND lease_until < :now))"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    **claimable,
                    ":sending": {"S": "sending"},
                    ":skey": {"S": status_key("OUTBOX", "sending")},
                    ":lease": {"S": format_ts(now + timedelta(seconds=lease_seconds))},
                    ":now": {"S": format_ts(now)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            if not exc.response.get("Item"):
                raise OutboxNotFound(f"no outbox item {outbox_id!r} to claim") from exc
            return False
        return True

    def mark_outbox(
        self,
        outbox_id: str,
        *,
        status: OutboxStatus,
        attempts: int,
        error: str | None = None,
        digest_id: str | None = None,
        possible_duplicates: int | None = None,
    ) -> None:
        """Record a delivery attempt's result; releases the lease, moves ``status_key``.

        ``delivered`` also sets ``delivered_at``; ``folded`` items name their ``digest_id``;
        ``possible_duplicates`` counts the routes that got a marked re-post.
        """
        if status not in _MARKABLE:
            raise ValueError(f"mark_outbox status must be one of {_MARKABLE}, got {status!r}")
        if attempts < 0:
            raise ValueError(f"attempts must be >= 0, got {attempts}")
        now = self.now()
        sets = ["#status = :status", "status_key = :skey", "delivery_attempts = :attempts"]
        values: dict[str, Any] = {
            ":status": {"S": status},
            ":skey": {"S": status_key("OUTBOX", status)},
            ":attempts": {"N": str(attempts)},
        }
        optional = {
            "last_error": error,
            "digest_id": digest_id,
            "delivered_at": format_ts(now) if status == "delivered" else None,
        }
        for name, value in optional.items():
            if value is not None:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = {"S": value}
        if possible_duplicates is not None:
            sets.append("possible_duplicates = :dups")
            values[":dups"] = {"N": str(possible_duplicates)}
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=self._key(outbox_pk(outbox_id), OUTBOX_SK),
                UpdateExpression=f"SET {', '.join(sets)} REMOVE lease_until",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise OutboxNotFound(f"no outbox item {outbox_id!r} to mark {status}") from exc
            raise
