"""The outbox payload: what a producer asks the notifier to say, one typed model for both.

Every message kind has its own payload class (the common envelope plus a typed
``details`` model from ``govbot.ledger.records.details``); ``OutboxPayload`` is their
union, discriminated on ``message_kind``. Producers (the enforcer, the drift sweep,
exemption expiry, the replicator, the Slack actions endpoint) build the class of their
kind and turn it into an item with ``OutboxItem.from_payload``; the notifier parses the
stored JSON back into the same class (:func:`parse_outbox_payload`), so an unknown kind or
details of the wrong shape is an error naming the field. The stored shape is "Outbox item
payload" in ``docs/architecture.md``: only the fields a producer set are written (plus
``message_kind``), and unknown fields are kept, so a producer adding a field never breaks
delivery. Nothing is built at import: the models defer their build and the union's
validator is made on the first parse.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from govbot.domain import MessageKind
from govbot.ledger.keys import format_ts
from govbot.ledger.records.details import (
    AuditDetails,
    CopyCompletedDetails,
    CopyFailedDetails,
    DriftDetails,
    ExemptionDetails,
    InboundDetails,
    NameTakenDetails,
    RejectedDetails,
    RemediedDetails,
    ReminderDetails,
    ResolvedDetails,
    SourceDeletedDetails,
    StopSharingDetails,
)

if TYPE_CHECKING:
    from pydantic import TypeAdapter


class PayloadEnvelope(BaseModel):
    """The fields every message kind has; subclasses add ``message_kind`` and ``details``."""

    model_config = ConfigDict(defer_build=True, extra="allow", frozen=True)

    message_kind: MessageKind  # each subclass narrows it to its own kind, with a default
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
    event_id: str | None = None
    occurred_at: str | None = None

    def stored(self) -> dict[str, Any]:
        """The JSON-ready dict kept on the outbox item (the fields that were set, and kind)."""
        shape = self.model_dump(mode="json", exclude_unset=True)
        shape["message_kind"] = self.message_kind  # a default, so never "set"
        return shape


class ViolationRemedied(PayloadEnvelope):
    """A forbidden share was revoked (or its remedy failed / was abandoned)."""

    message_kind: Literal["violation_remedied"] = "violation_remedied"
    details: RemediedDetails = Field(default_factory=RemediedDetails)


class ViolationAudit(PayloadEnvelope):
    """Violations reported and left in place (audit mode or report-only rules)."""

    message_kind: Literal["violation_audit"] = "violation_audit"
    details: AuditDetails = Field(default_factory=AuditDetails)


class ViolationResolved(PayloadEnvelope):
    """Violations announced before are gone."""

    message_kind: Literal["violation_resolved"] = "violation_resolved"
    details: ResolvedDetails = Field(default_factory=ResolvedDetails)


class ViolationReminder(PayloadEnvelope):
    """The sweep's digest of violations still standing."""

    message_kind: Literal["violation_reminder"] = "violation_reminder"
    details: ReminderDetails = Field(default_factory=ReminderDetails)


class StopSharingImpact(PayloadEnvelope):
    """A person removed fleet access: the consumer's fleets drop to capacity 0."""

    message_kind: Literal["stop_sharing_impact"] = "stop_sharing_impact"
    details: StopSharingDetails = Field(default_factory=StopSharingDetails)


class InboundImageUsed(PayloadEnvelope):
    """A governed fleet or image builder runs an image of an untrusted owner."""

    message_kind: Literal["inbound_image_used"] = "inbound_image_used"
    details: InboundDetails = Field(default_factory=InboundDetails)


class GoldenCopyCompleted(PayloadEnvelope):
    """A golden image copy is available in its destination region."""

    message_kind: Literal["golden_copy_completed"] = "golden_copy_completed"
    details: CopyCompletedDetails = Field(default_factory=CopyCompletedDetails)


class GoldenCopyFailed(PayloadEnvelope):
    """A golden image copy failed for good."""

    message_kind: Literal["golden_copy_failed"] = "golden_copy_failed"
    details: CopyFailedDetails = Field(default_factory=CopyFailedDetails)


class GoldenSourceDeleted(PayloadEnvelope):
    """The source of golden copies was deleted."""

    message_kind: Literal["golden_source_deleted"] = "golden_source_deleted"
    details: SourceDeletedDetails = Field(default_factory=SourceDeletedDetails)


class GoldenNameTaken(PayloadEnvelope):
    """An image govbot did not make holds a golden copy's name."""

    message_kind: Literal["golden_name_taken"] = "golden_name_taken"
    details: NameTakenDetails = Field(default_factory=NameTakenDetails)


class DriftFound(PayloadEnvelope):
    """A sweep found drift (policy drift, or a golden copy's drift, restored)."""

    message_kind: Literal["drift_found"] = "drift_found"
    details: DriftDetails = Field(default_factory=DriftDetails)


class ExemptionGranted(PayloadEnvelope):
    """An approver granted an exemption from Slack."""

    message_kind: Literal["exemption_granted"] = "exemption_granted"
    details: ExemptionDetails = Field(default_factory=ExemptionDetails)


class ExemptionExpired(PayloadEnvelope):
    """An exemption ran out: the policy applies again."""

    message_kind: Literal["exemption_expired"] = "exemption_expired"
    details: ExemptionDetails = Field(default_factory=ExemptionDetails)


class EventRejected(PayloadEnvelope):
    """An incoming event govbot could not handle."""

    message_kind: Literal["event_rejected"] = "event_rejected"
    details: RejectedDetails = Field(default_factory=RejectedDetails)


OutboxPayload = Annotated[
    ViolationRemedied
    | ViolationAudit
    | ViolationResolved
    | ViolationReminder
    | StopSharingImpact
    | InboundImageUsed
    | GoldenCopyCompleted
    | GoldenCopyFailed
    | GoldenSourceDeleted
    | GoldenNameTaken
    | DriftFound
    | ExemptionGranted
    | ExemptionExpired
    | EventRejected,
    Field(discriminator="message_kind"),
]


@functools.cache
def payload_adapter() -> TypeAdapter[OutboxPayload]:
    """The validator of the union (built on first use, once per process)."""
    from pydantic import TypeAdapter

    return TypeAdapter(OutboxPayload)


def parse_outbox_payload(data: Any) -> OutboxPayload:
    """Validate a stored payload dict into the class of its ``message_kind``.

    Raises ``pydantic.ValidationError`` (an unknown kind, or a field of the wrong type,
    located as ``<kind>.details.<field>``).
    """
    return payload_adapter().validate_python(data)


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
