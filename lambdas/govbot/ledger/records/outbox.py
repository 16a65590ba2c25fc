"""The outbox record: a notification that exists once its ledger item does."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from govbot.domain import MessageKind, Severity
from govbot.ledger.keys import OUTBOX_SK, UtcDatetime, outbox_id_for, outbox_pk, status_key
from govbot.ledger.records.base import LedgerRecord
from govbot.ledger.records.payload import OutboxPayload

# ``sending`` is held under a lease by the notifier that claimed the item; ``rejected``
# items can never be rendered (unknown kind, malformed payload): ``last_error`` says why.
OutboxStatus = Literal[
    "pending", "sending", "delivered", "failed", "dead_letter", "folded", "rejected"
]
CLAIMABLE_OUTBOX_STATUSES: tuple[OutboxStatus, ...] = ("pending", "failed")


class OutboxItem(LedgerRecord):
    """One notification to deliver (``pk=OUTBOX#<outbox_id>``, ``sk=OUTBOX``).

    ``payload`` is an ``OutboxPayload`` stored as JSON (build items with
    :meth:`from_payload`; "Outbox item payload" in ``docs/architecture.md``); its
    ``message_kind`` and ``severity`` are filled from the item when missing and must agree
    with it otherwise. Build the id with :meth:`new` (deterministic) so a replayed event
    yields the same item, which the ledger then refuses to write twice.
    """

    kind: ClassVar[str] = "outbox"
    json_fields: ClassVar[frozenset[str]] = frozenset({"payload"})

    outbox_id: str = Field(min_length=1)
    message_kind: MessageKind
    severity: Severity
    payload: dict[str, Any]
    status: OutboxStatus = "pending"
    delivery_attempts: int = Field(default=0, ge=0)
    last_error: str | None = None
    delivered_at: UtcDatetime | None = None
    digest_id: str | None = None
    lease_until: UtcDatetime | None = None
    # Routes where this message may have been posted twice: a post whose outcome was
    # unknown (no answer from Slack, or the notifier died mid-post) was followed by one
    # re-post marked "possible duplicate" in the message itself.
    possible_duplicates: int = Field(default=0, ge=0)
    created_at: UtcDatetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _payload_agrees(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
            return data
        payload = dict(data["payload"])
        for name in ("message_kind", "severity"):
            if name not in data:
                continue
            if payload.setdefault(name, data[name]) != data[name]:
                raise ValueError(
                    f"outbox payload.{name}={payload[name]!r} disagrees with the item's "
                    f"{name}={data[name]!r}"
                )
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"outbox payload must be JSON-serialisable: {exc}") from exc
        return {**data, "payload": payload}

    @classmethod
    def new(
        cls,
        message_kind: MessageKind,
        severity: Severity,
        payload: dict[str, Any],
        *,
        discriminators: tuple[str, ...],
    ) -> OutboxItem:
        """A pending item whose id derives from the kind and ``discriminators``.

        >>> a = OutboxItem.new("drift_found", "medium", {}, discriminators=("sweep-1", "img"))
        >>> a.outbox_id == outbox_id_for("drift_found", "sweep-1", "img")
        True
        """
        return cls(
            outbox_id=outbox_id_for(message_kind, *discriminators),
            message_kind=message_kind,
            severity=severity,
            payload=payload,
        )

    @classmethod
    def from_payload(cls, payload: OutboxPayload, *, discriminators: tuple[str, ...]) -> OutboxItem:
        """A pending item for ``payload`` (kind and severity come from it), id as in ``new``."""
        return cls(
            outbox_id=outbox_id_for(payload.message_kind, *discriminators),
            message_kind=payload.message_kind,
            severity=payload.severity,
            payload=payload.stored(),
        )

    def keys(self) -> tuple[str, str]:
        return outbox_pk(self.outbox_id), OUTBOX_SK

    def timestamp(self) -> datetime | None:
        return self.created_at

    def stamped(self, now: datetime) -> Self:
        return self if self.created_at else self.model_copy(update={"created_at": now})

    def index_attributes(self) -> dict[str, str]:
        attrs = {"status_key": status_key("OUTBOX", self.status)}
        image_arn = self.payload.get("image_arn")
        if isinstance(image_arn, str):
            # Lets storm control ask "what did we already say about this image?" (by-image).
            attrs["image_arn"] = image_arn
        return attrs
