"""Storm state in the ledger table, shared by every notifier invocation (ledger mixin).

Item family ``notify`` (never an outbox INSERT, so the notifier's stream filter skips it):

- window counter: ``pk=NOTIFY#STORM#<route>``, ``sk=WINDOW#<start epoch>``; ``sent`` and
  ``folded`` counters, ``k_<kind>`` per-kind fold counts, ``images`` (string set). While a
  digest is owed it carries ``status_key=DIGEST#pending`` and ``ts`` = window end, so the
  ``by-status`` index lists due digests.
- route receipt: ``pk=NOTIFY#SENT#<outbox_id>``, ``sk=ROUTE#<route>``, ``outcome``; makes
  a retried item skip the routes it already reached. Before a post it is a marker:
  ``posting`` (written before the HTTP request; left behind, it means that post's outcome
  is unknown) or ``reposting`` (the one marked re-post after an unknown outcome); after
  it, ``delivered`` (``redelivered`` when the delivery was that marked re-post).

Every item has ``expires_at`` (TTL) so storm state cleans itself up.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from govbot.ledger._core import LedgerCore, is_condition_failure
from govbot.ledger.keys import BY_STATUS, format_ts
from govbot.ledger.records.storm import DigestWindow

DIGEST_PENDING = "DIGEST#pending"
KIND = "notify"
_KIND_PREFIX = "k_"
# Every attribute through a placeholder: several (start, kind, ts...) are reserved words.
_NAMES = {
    "#sent": "sent", "#kind": "kind", "#r": "route", "#start": "start",
    "#ws": "window_seconds", "#ttl": "expires_at", "#folded": "folded", "#images": "images",
    "#wh": "webhook", "#skey": "status_key", "#ts": "ts",
}  # fmt: skip


def _names(*expressions: str, **extra: str) -> dict[str, str]:
    """The placeholders the given expressions use (DynamoDB refuses unused ones)."""
    text = " ".join(expressions)
    names = {k: v for k, v in _NAMES.items() if re.search(re.escape(k) + r"\b", text)}
    return {**names, **extra}


def _window_key(route: str, start: int) -> dict[str, Any]:
    return {"pk": {"S": f"NOTIFY#STORM#{route}"}, "sk": {"S": f"WINDOW#{start:012d}"}}


def _receipt_key(outbox_id: str, route: str) -> dict[str, Any]:
    return {"pk": {"S": f"NOTIFY#SENT#{outbox_id}"}, "sk": {"S": f"ROUTE#{route}"}}


def _window_from_item(item: dict[str, Any]) -> DigestWindow:
    kinds = {
        name[len(_KIND_PREFIX) :]: int(value["N"])
        for name, value in item.items()
        if name.startswith(_KIND_PREFIX) and "N" in value
    }
    return DigestWindow(
        route=item["route"]["S"],
        webhook=item.get("webhook", {}).get("S", ""),
        start=int(item["start"]["N"]),
        window_seconds=int(item["window_seconds"]["N"]),
        folded=int(item.get("folded", {}).get("N", "0")),
        sent=int(item.get("sent", {}).get("N", "0")),
        kinds=kinds,
        images=tuple(sorted(item.get("images", {}).get("SS", []))),
    )


class StormMixin(LedgerCore):
    """:class:`~govbot.notifier.storm.WindowStore` on the ledger table (the notifier's state)."""

    # Storm state is short-lived: every item expires this long after its window.
    storm_retention = timedelta(days=2)

    def _ttl(self, epoch: int) -> str:
        return str(int(epoch + self.storm_retention.total_seconds()))

    def take_slot(self, route: str, start: int, window_seconds: int, limit: int) -> bool:
        """Conditional ADD: succeeds only while ``sent < limit``."""
        update = (
            "ADD #sent :one SET #kind = :kind, #r = :route, #start = :start, #ws = :ws, #ttl = :ttl"
        )
        condition = "attribute_not_exists(#sent) OR #sent < :limit"
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=_window_key(route, start),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=_names(update, condition),
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":kind": {"S": KIND},
                    ":route": {"S": route},
                    ":start": {"N": str(start)},
                    ":ws": {"N": str(window_seconds)},
                    ":ttl": {"N": self._ttl(start + window_seconds)},
                    ":limit": {"N": str(limit)},
                },
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def give_back_slot(self, route: str, start: int) -> None:
        """ADD -1 (a failed send must not use up the window)."""
        self.client.update_item(
            TableName=self.table_name,
            Key=_window_key(route, start),
            UpdateExpression="ADD #sent :minus",
            ConditionExpression="#sent > :zero",
            ExpressionAttributeNames={"#sent": "sent"},
            ExpressionAttributeValues={":minus": {"N": "-1"}, ":zero": {"N": "0"}},
        )

    def fold(
        self,
        route: str,
        webhook: str,
        start: int,
        window_seconds: int,
        *,
        outbox_id: str,
        kind: str,
        image: str,
    ) -> bool:
        """Write the receipt first (once), then count the item into the window."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    **_receipt_key(outbox_id, route),
                    "kind": {"S": KIND},
                    "outcome": {"S": "folded"},
                    "expires_at": {"N": self._ttl(start)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        end = start + window_seconds
        update = (
            "ADD #folded :one, #k :one, #images :img SET #kind = :kind, #r = :route, "
            "#start = :start, #ws = :ws, #wh = :wh, #skey = :pending, #ts = :end, #ttl = :ttl"
        )
        self.client.update_item(
            TableName=self.table_name,
            Key=_window_key(route, start),
            UpdateExpression=update,
            ExpressionAttributeNames=_names(update, **{"#k": f"{_KIND_PREFIX}{kind}"}),
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":img": {"SS": [image or "unknown image"]},
                ":kind": {"S": KIND},
                ":route": {"S": route},
                ":start": {"N": str(start)},
                ":ws": {"N": str(window_seconds)},
                ":wh": {"S": webhook},
                ":pending": {"S": DIGEST_PENDING},
                ":end": {"S": _ts(end)},
                ":ttl": {"N": self._ttl(end)},
            },
        )
        return True

    def route_done(self, outbox_id: str, route: str) -> str | None:
        """Consistent read of the route receipt."""
        item = self.client.get_item(
            TableName=self.table_name, Key=_receipt_key(outbox_id, route), ConsistentRead=True
        ).get("Item")
        return item["outcome"]["S"] if item else None

    def mark_route_done(self, outbox_id: str, route: str, outcome: str) -> None:
        """Write the route receipt (``delivered``, ``redelivered`` or ``folded``)."""
        now = int(self.now().timestamp())
        self.client.put_item(
            TableName=self.table_name,
            Item={
                **_receipt_key(outbox_id, route),
                "kind": {"S": KIND},
                "outcome": {"S": outcome},
                "expires_at": {"N": self._ttl(now)},
            },
        )

    def begin_post(self, outbox_id: str, route: str, *, repost: bool) -> bool:
        """Leave the marker before posting: ``posting`` where no receipt is, or ``posting``
        -> ``reposting`` for the marked re-post. False when another delivery moved it."""
        now = int(self.now().timestamp())
        condition = "#o = :posting" if repost else "attribute_not_exists(pk)"
        values: dict[str, Any] = {":ttl": {"N": self._ttl(now)}, ":kind": {"S": KIND}}
        values[":new"] = {"S": "reposting" if repost else "posting"}
        if repost:
            values[":posting"] = {"S": "posting"}
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=_receipt_key(outbox_id, route),
                UpdateExpression="SET #o = :new, #kind = :kind, #ttl = :ttl",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#o": "outcome", "#kind": "kind", "#ttl": "expires_at"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def abandon_post(self, outbox_id: str, route: str, *, repost: bool) -> None:
        """The post failed and Slack said so: undo :meth:`begin_post` (a re-post's marker
        goes back to ``posting``: the first post's outcome is still unknown)."""
        key = _receipt_key(outbox_id, route)
        mine = {":mine": {"S": "reposting" if repost else "posting"}}
        try:
            if repost:
                self.client.update_item(
                    TableName=self.table_name,
                    Key=key,
                    UpdateExpression="SET #o = :posting",
                    ConditionExpression="#o = :mine",
                    ExpressionAttributeNames={"#o": "outcome"},
                    ExpressionAttributeValues={**mine, ":posting": {"S": "posting"}},
                )
            else:
                self.client.delete_item(
                    TableName=self.table_name,
                    Key=key,
                    ConditionExpression="#o = :mine",
                    ExpressionAttributeNames={"#o": "outcome"},
                    ExpressionAttributeValues=mine,
                )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def due_digests(self, now: datetime) -> list[DigestWindow]:
        """Query ``by-status`` for owed digests whose window ended by ``now``."""
        windows: list[DigestWindow] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": BY_STATUS,
            "KeyConditionExpression": "#skey = :s AND #ts <= :now",
            "ExpressionAttributeNames": {"#skey": "status_key", "#ts": "ts"},
            "ExpressionAttributeValues": {
                ":s": {"S": DIGEST_PENDING},
                ":now": {"S": format_ts(now)},
            },
        }
        while True:
            page = self.client.query(**kwargs)
            windows.extend(_window_from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return windows
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim_digest(
        self, window: DigestWindow, now: datetime, lease_seconds: int
    ) -> DigestWindow | None:
        """Set a lease while the digest is still owed; return the fresh counts."""
        epoch = int(now.timestamp())
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key=_window_key(window.route, window.start),
                UpdateExpression="SET digest_lease = :until",
                ConditionExpression=(
                    "#skey = :pending AND "
                    "(attribute_not_exists(digest_lease) OR digest_lease < :now)"
                ),
                ExpressionAttributeNames={"#skey": "status_key"},
                ExpressionAttributeValues={
                    ":until": {"N": str(epoch + lease_seconds)},
                    ":now": {"N": str(epoch)},
                    ":pending": {"S": DIGEST_PENDING},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return _window_from_item(response["Attributes"])

    def finish_digest(self, window: DigestWindow, *, sent: bool) -> None:
        """Sent: drop it from the index. Not sent: release the lease for the next flush."""
        expression = "REMOVE #skey, digest_lease" if sent else "REMOVE digest_lease"
        extra: dict[str, Any] = (
            {"ExpressionAttributeNames": {"#skey": "status_key"}} if sent else {}
        )
        self.client.update_item(
            TableName=self.table_name,
            Key=_window_key(window.route, window.start),
            UpdateExpression=expression,
            **extra,
        )


def _ts(epoch: int) -> str:
    return format_ts(datetime.fromtimestamp(epoch, tz=UTC))
