"""The outbox payload: what a producer asks the notifier to say, one typed model for both.

Producers (the enforcer, the drift sweep, exemption expiry, the replicator, the Slack
actions endpoint) build an ``OutboxPayload`` and turn it into an item with
``OutboxItem.from_payload``; the notifier parses the stored JSON back into the same model
(``govbot.notify.model.parse_payload``). The stored shape is "Outbox item payload" in
``docs/architecture.md``: only the fields a producer set are written, and unknown fields
are kept, so a producer adding a field never breaks delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govbot.domain import MessageKind
from govbot.ledger.keys import format_ts


class OutboxPayload(BaseModel):
    """The common envelope of every message kind; ``details`` is kind-specific."""

    model_config = ConfigDict(extra="allow", frozen=True)

    message_kind: MessageKind
    # Text, not the Severity literal: a stored item is rendered even with an odd value.
    severity: str = "medium"
    image_arn: str | None = None
    image_name: str | None = None
    region: str | None = None
    account_id: str | None = None
    shared_account_ids: list[str] = Field(default_factory=list)
    actor_arn: str | None = None
    rule_ids: list[str] = Field(default_factory=list)
    summary: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    event_id: str | None = None
    occurred_at: str | None = None

    def stored(self) -> dict[str, Any]:
        """The JSON-ready dict kept on the outbox item (the fields that were set)."""
        return self.model_dump(mode="json", exclude_unset=True)


def _parse_ts(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class ExposureWindow:
    """How long a forbidden share existed: grant time to revoke time.

    ``granted_at`` is None when the grant happened before the event govbot saw (then
    ``note`` says so). Stored as ``as_json()``; rendered with ``text()``.
    """

    granted_at: str | None
    revoked_at: str
    note: str | None = None

    @classmethod
    def between(
        cls, granted_at: datetime | None, revoked_at: datetime, note: str | None = None
    ) -> ExposureWindow:
        """The window from ``granted_at`` (None: unknown) to ``revoked_at``."""
        return cls(
            granted_at=format_ts(granted_at) if granted_at is not None else None,
            revoked_at=format_ts(revoked_at),
            note=note,
        )

    @property
    def seconds(self) -> float | None:
        """Its length in seconds (never negative); None when either end is unknown."""
        start, end = _parse_ts(self.granted_at), _parse_ts(self.revoked_at)
        if start is None or end is None:
            return None
        return round(max(0.0, (end - start).total_seconds()), 3)

    def as_json(self) -> dict[str, Any]:
        """The stored shape: ``granted_at``, ``revoked_at``, ``seconds`` (+ ``note``)."""
        shape: dict[str, Any] = {
            "granted_at": self.granted_at,
            "revoked_at": self.revoked_at,
            "seconds": self.seconds,
        }
        if self.note is not None:
            shape["note"] = self.note
        return shape

    def text(self) -> str | None:
        """``<grant> → <revoke> (1m 5s)`` for people; None when either end is unknown."""
        seconds = self.seconds
        if seconds is None:
            return None
        minutes, secs = divmod(int(seconds), 60)
        hours, minutes = divmod(minutes, 60)
        span = f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"
        return f"{self.granted_at} → {self.revoked_at} ({span})"
