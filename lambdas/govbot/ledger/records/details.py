"""The kind-specific ``details`` of an outbox payload: one typed model per message kind.

Producers build these; the notifier reads them back through the same models (see
``govbot.ledger.records.payload``). Every field has a default, so items written before a
field existed still parse; unknown fields are kept (``extra="allow"``), so a producer adding
one never breaks delivery. A field of the wrong type is an error naming the field.
Models build on first use (``defer_build``): importing this module builds nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="allow", frozen=True)


# -- parts shared by several kinds --------------------------------------------------------


class ViolationLine(_Shape):
    """One (account, permission, rule) a violation message is about."""

    account_id: str | None = None
    permission: str | None = None
    rule_id: str | None = None
    mode: str | None = None
    report_only: bool | None = None
    reason: str | None = None


class ShareFlags(_Shape):
    """What a share allowed, before or after a change (``Permissions.model_dump()``)."""

    allow_fleet: bool = False
    allow_image_builder: bool = False


class WindowShape(_Shape):
    """``ExposureWindow.as_json()``: grant to revoke of an image-builder permission."""

    granted_at: str | None = None
    revoked_at: str
    seconds: float | None = None
    note: str | None = None


class ChangeLine(_Shape):
    """One share change govbot made (or tried) while remedying."""

    account_id: str | None = None
    operation: str
    before: ShareFlags = Field(default_factory=ShareFlags)
    after: ShareFlags = Field(default_factory=ShareFlags)
    rule_ids: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    status: str
    error: str | None = None
    exposure_window: WindowShape | None = None


class BuilderMade(_Shape):
    """An image builder a consumer account created from the image."""

    name: str
    state: str | None = None
    created: str | None = None


class BuilderExposure(_Shape):
    """How long one account could build from the image, and (governed) what it built."""

    account_id: str
    text: str
    builders: list[BuilderMade] | None = None  # None: the account is not governed


class DriftLine(_Shape):
    """One line of a drift or reminder list: expected against actual, for one account."""

    account_id: str = "?"
    expected: str = "?"
    actual: str = "?"
    outcome: str | None = None
    image_arn: str | None = None
    rule_ids: list[str] = Field(default_factory=list)
    event_id: str | None = None


# A drift list mixes structured lines and plain notes ("not swept: ...", "...and 3 more").
DriftEntry = DriftLine | str


class AppliedShare(_Shape):
    """A share a golden copy received: account and permission kinds granted."""

    account_id: str
    permissions: list[str] = Field(default_factory=list)


class WithheldShare(_Shape):
    """A share of the source the policy kept off a golden copy."""

    account_id: str
    permission: str
    reason: str


# -- one model per message kind -----------------------------------------------------------


class RemediedDetails(_Shape):
    """``violation_remedied``: what was revoked, the exposure window, the consequences.

    An abandoned remedy (failed on its last attempt) sets ``attempts`` and ``error``; a
    grant removed before govbot read the image sets ``held_minutes``.
    """

    changes: list[ChangeLine] = Field(default_factory=list)
    violations: list[ViolationLine] = Field(default_factory=list)
    action: str | None = None
    granted_at: str | None = None
    revoked_at: str | None = None
    builder_warning: str | None = None
    builder_exposure: list[BuilderExposure] | None = None
    fleet_impact: str | None = None
    attempts: int | None = None
    error: str | None = None
    held_minutes: int | None = None


class AuditDetails(_Shape):
    """``violation_audit``: violations reported and left in place."""

    violations: list[ViolationLine] = Field(default_factory=list)


class ResolvedDetails(_Shape):
    """``violation_resolved``: violations announced before that are gone, and why."""

    violations: list[ViolationLine] = Field(default_factory=list)
    cause: str | None = None


class ReminderDetails(_Shape):
    """``violation_reminder``: findings still standing (the sweep's digest)."""

    drift: list[DriftEntry] = Field(default_factory=list)
    action: str | None = None


class StopSharingDetails(_Shape):
    """``stop_sharing_impact``: fleets of the consumer now at desired capacity 0."""

    fleet_impact: str | None = None
    fleets: list[str] | None = None  # None: the consumer is not governed (not visible)
    consumer_governed: bool = False
    action: str | None = None


class ImageUse(_Shape):
    """A fleet or image builder of a governed account running another account's image."""

    kind: str
    name: str | None = None
    arn: str | None = None
    account_id: str | None = None
    state: str | None = None


class InboundDetails(_Shape):
    """``inbound_image_used``: what runs the image, who owns it, and why it is reported."""

    owner_account_id: str | None = None
    viewer_account_id: str | None = None
    image_state: str | None = None
    uses: list[ImageUse] = Field(default_factory=list)
    violations: list[ViolationLine] = Field(default_factory=list)
    action: str | None = None


class CopyCompletedDetails(_Shape):
    """``golden_copy_completed``: where the copy is and what it received."""

    destination_region: str | None = None
    destination_image_name: str | None = None
    destination_image_arn: str | None = None
    attempts: int | None = None
    shares_applied: list[AppliedShare] = Field(default_factory=list)
    shares_not_propagated: list[WithheldShare] = Field(default_factory=list)
    tags_left_out: list[str] = Field(default_factory=list)
    action: str | None = None


class CopyFailedDetails(_Shape):
    """``golden_copy_failed``: the copy that failed, how often, and the last error."""

    destination_region: str | None = None
    destination_image_name: str | None = None
    attempts: int | None = None
    error: str | None = None
    action: str | None = None


class SourceDeletedDetails(_Shape):
    """``golden_source_deleted``: the copies left in place."""

    copies: list[str] = Field(default_factory=list)
    action: str | None = None


class NameTakenDetails(_Shape):
    """``golden_name_taken``: the image holding a golden copy's name, and who made it."""

    destination_region: str | None = None
    destination_image_name: str | None = None
    taken_by_image_arn: str | None = None
    made_by: str | None = None
    made_by_event_id: str | None = None
    made_by_event_name: str | None = None
    action: str | None = None


class DriftDetails(_Shape):
    """``drift_found``: the drift sweep's run summary, or a golden copy's restored drift."""

    drift: list[DriftEntry] = Field(default_factory=list)
    more: int = 0
    action: str | None = None
    images: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    source_image_arn: str | None = None


class ExemptionDetails(_Shape):
    """``exemption_granted`` / ``exemption_expired``: the exemption and its approver."""

    exemption_id: str | None = None
    approver: str | None = None
    expires: str | None = None
    reason: str | None = None
    permission: str | None = None


class RejectedDetails(_Shape):
    """``event_rejected``: the event and every problem found (joined by "; ")."""

    reason: str | None = None
    ledger_id: str | None = None
    event_name: str | None = None
    event_source: str | None = None
    problem_count: int | None = None


def drift_entries(lines: list[dict[str, Any] | str]) -> list[DriftEntry]:
    """Drift lines built as dicts (the sweep's) as typed entries."""
    return [line if isinstance(line, str) else DriftLine(**line) for line in lines]
