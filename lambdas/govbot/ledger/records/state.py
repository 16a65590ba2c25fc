"""Long-lived state records: exemptions granted from Slack and golden copy jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govbot.domain import ImageRef
from govbot.ledger.keys import (
    ANNOUNCED_SK,
    COPYJOB_SK,
    EXEMPTION_SK,
    UtcDatetime,
    announced_pk,
    copy_job_pk,
    exemption_pk,
    status_key,
)
from govbot.ledger.records.base import LedgerRecord

ExemptionStatus = Literal["active", "revoked", "expired"]
ExemptionSource = Literal["slack", "cli", "policy"]
CopyJobState = Literal["queued", "copying", "tagging", "sharing", "done", "failed", "abandoned"]
# ``failed`` stays active: the replicator retries it at ``next_attempt_at``.
TERMINAL_COPY_STATES: frozenset[str] = frozenset({"done", "abandoned"})
COPY_HISTORY_LIMIT = 20


class ExemptionRecord(LedgerRecord):
    """A time-boxed exception to policy (``pk=EXEMPTION#<id>``, ``sk=EXEMPTION``).

    It targets one image (``image_arn``) or a selector (e.g. a name pattern the policy
    engine understands), for one grantee ``account_id`` and ``permission`` (``*`` = any).
    ``expires_at`` is when the exemption ends; the item is stored as ``valid_until`` since
    the table's TTL attribute is called ``expires_at`` (the item lives until then + retention).
    """

    kind: ClassVar[str] = "exemption"
    attribute_renames: ClassVar[dict[str, str]] = {"expires_at": "valid_until"}

    exemption_id: str = Field(min_length=1)
    image_arn: str | None = None
    image_selector: str | None = None
    account_id: str = Field(min_length=1)
    permission: str = Field(default="*", min_length=1)
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires_at: UtcDatetime
    granted_at: UtcDatetime | None = None
    source: ExemptionSource = "slack"
    status: ExemptionStatus = "active"

    @model_validator(mode="after")
    def _has_target(self) -> Self:
        if not (self.image_arn or self.image_selector):
            raise ValueError(
                f"exemption {self.exemption_id!r} needs image_arn or image_selector (got neither)"
            )
        return self

    def is_active(self, now: datetime) -> bool:
        """Active and not yet past ``expires_at``."""
        return self.status == "active" and self.expires_at > now

    def keys(self) -> tuple[str, str]:
        return exemption_pk(self.exemption_id), EXEMPTION_SK

    def timestamp(self) -> datetime | None:
        return self.granted_at

    def stamped(self, now: datetime) -> Self:
        return self if self.granted_at else self.model_copy(update={"granted_at": now})

    def index_attributes(self) -> dict[str, str]:
        attrs = {"shared_account_id": self.account_id}
        if self.status == "active":
            attrs["status_key"] = status_key("EXEMPTION", "active")
        return attrs

    def ttl_anchor(self) -> datetime | None:
        return self.expires_at


class CopyJobStep(BaseModel):
    """One line of a copy job's history."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    at: UtcDatetime
    state: CopyJobState
    reason: str | None = None


class CopyJob(LedgerRecord):
    """A golden image copy to one region (``pk=COPYJOB#<source_arn>#<region>``, ``sk=JOB``).

    ``version`` is the optimistic lock: read a job, change it, then
    ``ledger.put_copy_job(job, expected_version=job.version)``; the ledger writes
    ``version + 1`` and returns the stored job. Active jobs (not done/abandoned) are listed
    by ``by-status`` under ``COPYJOB#active`` and never expire; finished ones expire after
    ``updated_at`` + retention.
    """

    kind: ClassVar[str] = "copyjob"

    source_arn: str = Field(min_length=1)
    destination_region: str = Field(min_length=1)
    destination_name: str = Field(min_length=1)
    state: CopyJobState = "queued"
    attempts: int = Field(default=0, ge=0)
    next_attempt_at: UtcDatetime | None = None
    last_reason: str | None = None
    version: int = Field(default=0, ge=0)
    history: tuple[CopyJobStep, ...] = ()
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _source_is_image(self) -> Self:
        ImageRef.from_arn(self.source_arn)  # raises a ValueError naming the bad ARN
        return self

    @property
    def is_active(self) -> bool:
        """Not done and not abandoned (a failed job will be retried)."""
        return self.state not in TERMINAL_COPY_STATES

    def transition(self, state: CopyJobState, *, at: datetime, reason: str | None = None) -> Self:
        """A copy in ``state`` with the step appended to its (bounded) history."""
        step = CopyJobStep(at=at, state=state, reason=reason)
        history = (*self.history, step)[-COPY_HISTORY_LIMIT:]
        update: dict[str, object] = {"state": state, "history": history}
        if reason is not None:
            update["last_reason"] = reason
        return self.model_copy(update=update)

    def keys(self) -> tuple[str, str]:
        return copy_job_pk(self.source_arn, self.destination_region), COPYJOB_SK

    def timestamp(self) -> datetime | None:
        return self.created_at

    def stamped(self, now: datetime) -> Self:
        # updated_at always moves: each put is a new version written now.
        return self.model_copy(update={"created_at": self.created_at or now, "updated_at": now})

    def index_attributes(self) -> dict[str, str]:
        ref = ImageRef.from_arn(self.source_arn)
        attrs = {"image_arn": self.source_arn, "region": ref.region, "account_id": ref.account_id}
        if self.is_active:
            attrs["status_key"] = status_key("COPYJOB", "active")
        return attrs

    def ttl_anchor(self) -> datetime | None:
        return None if self.is_active else (self.updated_at or self.created_at)


class AnnouncedState(LedgerRecord):
    """What people were last told about one image's standing findings
    (``pk=ANNOUNCED#<image arn>``, ``sk=ANNOUNCED``).

    ``findings`` maps a finding key (``rule|account|permission``) to what was announced:
    its ``fingerprint`` plus ``rule_id``, ``account_id``, ``permission``, ``severity`` and
    ``reason``. Only notifications are deduplicated with it; every observation is still
    a decision record. A record with findings is ``ANNOUNCED#open`` in ``by-status`` (the
    reminder digest lists those); an emptied one expires with the ledger's retention.
    """

    kind: ClassVar[str] = "announced"
    json_fields: ClassVar[frozenset[str]] = frozenset({"findings"})

    image_arn: str = Field(min_length=1)
    image_name: str = ""
    region: str = ""
    account_id: str = ""
    findings: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Set for an image another account owns, judged as this governed account uses it.
    viewer_account_id: str | None = None
    announced_at: UtcDatetime | None = None  # last appearance, change or resolution
    reminded_at: UtcDatetime | None = None  # last reminder digest naming it
    updated_at: UtcDatetime | None = None

    def keys(self) -> tuple[str, str]:
        return announced_pk(self.image_arn, self.viewer_account_id), ANNOUNCED_SK

    def timestamp(self) -> datetime | None:
        return self.updated_at

    def stamped(self, now: datetime) -> Self:
        return self if self.updated_at else self.model_copy(update={"updated_at": now})

    def index_attributes(self) -> dict[str, str]:
        return {"status_key": status_key("ANNOUNCED", "open")} if self.findings else {}

    def ttl_anchor(self) -> datetime | None:
        # An open finding stays until it is resolved, however long that takes.
        return None if self.findings else self.updated_at
