"""Two small guard items beside the ledger's records: remedy claims and share fences.

- A **claim** (``GUARD#CLAIM#<key>``) makes one invocation the only one allowed to remedy an
  event: a conditional put that succeeds when no claim exists, the claim's lease expired
  (its holder died), or the caller already holds it.
- A **fence** (``GUARD#FENCE#<image arn>#<account>``) orders govbot's permission writes
  against the owner's own changes of the same share. Each side updates the one item and
  reads the other side's stamp in the same atomic UpdateItem, so whichever comes second
  sees the first: a late remedy that re-created a share the owner deleted is always caught.

Neither item has a ``kind`` the record queries know, so they never show up in a story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from govbot.ledger._core import LedgerCore, is_condition_failure
from govbot.ledger.keys import format_ts, parse_ts

CLAIM_PREFIX = "GUARD#CLAIM#"
FENCE_PREFIX = "GUARD#FENCE#"
GUARD_SK = "GUARD"
# Guards matter for minutes; they expire (DynamoDB TTL) after a day.
GUARD_TTL = timedelta(days=1)


@dataclass(frozen=True)
class FenceState:
    """What the fence of one share says after an update (times are aware UTC)."""

    owner_changed_at: datetime | None = None
    # The owner's latest permissions on the share: None when the owner deleted it.
    owner_fleet: bool | None = None
    owner_builder: bool | None = None
    owner_deleted: bool = False
    govbot_wrote_at: datetime | None = None


class GuardsMixin(LedgerCore):
    """``claim`` / ``release`` (remedy claims) and the two sides of a share's fence."""

    def claim(self, key: str, holder: str, *, lease_seconds: int) -> bool:
        """Take the claim on ``key`` for ``holder`` (under a lease); False if another holds it."""
        if lease_seconds < 1:
            raise ValueError(f"lease_seconds must be >= 1, got {lease_seconds}")
        now = self.now()
        item = {
            "pk": {"S": CLAIM_PREFIX + key},
            "sk": {"S": GUARD_SK},
            "holder": {"S": holder},
            "lease_until": {"S": format_ts(now + timedelta(seconds=lease_seconds))},
            "expires_at": {"N": str(int((now + GUARD_TTL).timestamp()))},
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression=(
                    "attribute_not_exists(pk) OR lease_until < :now OR holder = :holder"
                ),
                ExpressionAttributeValues={
                    ":now": {"S": format_ts(now)},
                    ":holder": {"S": holder},
                },
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def release(self, key: str, holder: str) -> None:
        """Give the claim on ``key`` back (a no-op when ``holder`` no longer holds it)."""
        try:
            self.client.delete_item(
                TableName=self.table_name,
                Key=self._key(CLAIM_PREFIX + key, GUARD_SK),
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues={":holder": {"S": holder}},
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def fence_owner_change(
        self,
        image_arn: str,
        account_id: str,
        event_time: datetime,
        fleet: bool | None,
        builder: bool | None,
    ) -> FenceState:
        """Stamp the owner's change of a share (``fleet``/``builder`` None: deleted); return
        the fence, govbot's last write included. A stale event never moves the stamp back."""
        deleted = fleet is None and builder is None
        values: dict[str, Any] = {
            ":at": {"S": format_ts(event_time)},
            ":deleted": {"BOOL": deleted},
            ":fleet": {"BOOL": bool(fleet)},
            ":builder": {"BOOL": bool(builder)},
            ":ttl": {"N": str(int((self.now() + GUARD_TTL).timestamp()))},
        }
        update = (
            "SET owner_changed_at = :at, owner_deleted = :deleted, owner_fleet = :fleet, "
            "owner_builder = :builder, expires_at = :ttl"
        )
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key=self._key(_fence_pk(image_arn, account_id), GUARD_SK),
                UpdateExpression=update,
                ConditionExpression=(
                    "attribute_not_exists(owner_changed_at) OR owner_changed_at < :at"
                ),
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
            return _fence(response.get("Attributes") or {})
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        return self.read_fence(image_arn, account_id)

    def fence_govbot_write(self, image_arn: str, account_id: str, wrote_at: datetime) -> FenceState:
        """Stamp govbot's permission write (its completion time); return the fence, the
        owner's latest change included."""
        response = self.client.update_item(
            TableName=self.table_name,
            Key=self._key(_fence_pk(image_arn, account_id), GUARD_SK),
            UpdateExpression="SET govbot_wrote_at = :at, expires_at = :ttl",
            ExpressionAttributeValues={
                ":at": {"S": format_ts(wrote_at)},
                ":ttl": {"N": str(int((self.now() + GUARD_TTL).timestamp()))},
            },
            ReturnValues="ALL_NEW",
        )
        return _fence(response.get("Attributes") or {})

    def read_fence(self, image_arn: str, account_id: str) -> FenceState:
        """The fence of one share (empty when neither side has written it)."""
        response = self.client.get_item(
            TableName=self.table_name,
            Key=self._key(_fence_pk(image_arn, account_id), GUARD_SK),
            ConsistentRead=True,
        )
        return _fence(response.get("Item") or {})


def _fence_pk(image_arn: str, account_id: str) -> str:
    return f"{FENCE_PREFIX}{image_arn}#{account_id}"


def _fence(item: dict[str, Any]) -> FenceState:
    def when(name: str) -> datetime | None:
        value = item.get(name, {}).get("S")
        return parse_ts(value) if value else None

    def flag(name: str) -> bool | None:
        value = item.get(name, {}).get("BOOL")
        return None if value is None else bool(value)

    return FenceState(
        owner_changed_at=when("owner_changed_at"),
        owner_fleet=flag("owner_fleet"),
        owner_builder=flag("owner_builder"),
        owner_deleted=bool(flag("owner_deleted")),
        govbot_wrote_at=when("govbot_wrote_at"),
    )
