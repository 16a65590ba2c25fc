"""Outbox items the replicator writes (payload format: docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from govbot.domain import ImageRef, Severity, SharedAccountPermission
from govbot.ledger.keys import format_ts
from govbot.ledger.records.details import (
    AppliedShare,
    CopyCompletedDetails,
    CopyFailedDetails,
    DriftDetails,
    NameTakenDetails,
    SourceDeletedDetails,
    WithheldShare,
)
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import (
    DriftFound,
    GoldenCopyCompleted,
    GoldenCopyFailed,
    GoldenNameTaken,
    GoldenSourceDeleted,
    PayloadEnvelope,
)
from govbot.ledger.records.state import CopyJob
from govbot.replicator.conflicts import Maker
from govbot.replicator.plan import DroppedShare

P = TypeVar("P", bound=PayloadEnvelope)


def _payload(
    kind: type[P],
    severity: Severity,
    job_source: str,
    summary: str,
    now: datetime,
    details: Any,
    **extra: Any,
) -> P:
    source = ImageRef.from_arn(job_source)
    return kind(
        severity=severity,
        image_arn=source.arn,
        image_name=source.name,
        region=source.region,
        account_id=source.account_id,
        summary=summary,
        details=details,
        occurred_at=format_ts(now),
        **extra,
    )


def copy_completed(
    job: CopyJob,
    *,
    copy_created: datetime | None,
    shares: Sequence[SharedAccountPermission],
    dropped: Sequence[DroppedShare],
    tags_left_out: Sequence[str],
    rule_ids: Sequence[str],
    now: datetime,
) -> OutboxItem:
    """``golden_copy_completed``: one per copy made (a re-copy after deletion is a new one)."""
    destination_arn = ImageRef(
        account_id=ImageRef.from_arn(job.source_arn).account_id,
        region=job.destination_region,
        name=job.destination_name,
    ).arn
    summary = (
        f"golden image copied to {job.destination_region} as {job.destination_name}, "
        f"tagged and shared with {len(shares)} account(s)"
    )
    if dropped:
        summary += f"; {len(dropped)} permission(s) withheld by policy"
    details = CopyCompletedDetails(
        destination_region=job.destination_region,
        destination_image_name=job.destination_name,
        destination_image_arn=destination_arn,
        attempts=job.attempts,
        shares_applied=[
            AppliedShare(account_id=s.account_id, permissions=sorted(s.permissions.granted()))
            for s in shares
        ],
        shares_not_propagated=[WithheldShare(**d.as_dict()) for d in dropped],
        tags_left_out=list(tags_left_out),
        action="copied the golden image, restored its tags and its compliant sharing",
    )
    payload = _payload(
        GoldenCopyCompleted,
        "info",
        job.source_arn,
        summary,
        now,
        details,
        shared_account_ids=[s.account_id for s in shares],
        rule_ids=list(rule_ids),
    )
    stamp = format_ts(copy_created) if copy_created else f"attempt-{job.attempts}"
    return OutboxItem.from_payload(
        payload,
        discriminators=(job.source_arn, job.destination_region, job.destination_name, stamp),
    )


def copy_failed(job: CopyJob, *, error: str, now: datetime, started: bool = True) -> OutboxItem:
    """``golden_copy_failed``: the copy failed ``job.attempts`` times; no more retries.

    ``started`` False: AppStream refused CopyImage itself (no failed image exists).
    """
    left = (
        "the failed image is left in place for diagnosis"
        if started
        else "AppStream refused the copy, so no image was made; the cause (permissions, "
        "account status, image compatibility) needs a person"
    )
    details = CopyFailedDetails(
        destination_region=job.destination_region,
        destination_image_name=job.destination_name,
        attempts=job.attempts,
        error=error,
        action=f"gave up after {job.attempts} attempt(s); {left}",
    )
    summary = (
        f"golden image copy to {job.destination_region} failed {job.attempts} time(s): {error}"
    )
    created = format_ts(job.created_at) if job.created_at else "-"
    return OutboxItem.from_payload(
        _payload(GoldenCopyFailed, "high", job.source_arn, summary, now, details),
        discriminators=(job.source_arn, job.destination_region, created, str(job.attempts)),
    )


def source_deleted(source_arn: str, jobs: Sequence[CopyJob], *, now: datetime) -> OutboxItem:
    """``golden_source_deleted``: the source is gone; its copies stay where they are."""
    copies = sorted(
        ImageRef(
            account_id=ImageRef.from_arn(source_arn).account_id,
            region=j.destination_region,
            name=j.destination_name,
        ).arn
        for j in jobs
        if j.attempts > 0
    )
    summary = f"golden source deleted; {len(copies)} copy(ies) kept, no further copies"
    details = SourceDeletedDetails(copies=copies, action="recorded; copies left in place")
    first = min((format_ts(j.created_at) for j in jobs if j.created_at), default="-")
    return OutboxItem.from_payload(
        _payload(GoldenSourceDeleted, "medium", source_arn, summary, now, details),
        discriminators=(source_arn, first),
    )


def name_taken(
    job: CopyJob, taken_by: ImageRef, maker: Maker, *, taken_since: datetime | None, now: datetime
) -> OutboxItem:
    """``golden_name_taken``: an image govbot did not make holds the copy's name.

    Nothing is copied there (and nothing renamed) until a person frees the name.
    """
    summary = (
        f"{job.destination_name} in {job.destination_region} is held by an image govbot did "
        f"not make (made by {maker.describe()}); the golden image is not copied there"
    )
    details = NameTakenDetails(
        destination_region=job.destination_region,
        destination_image_name=job.destination_name,
        taken_by_image_arn=taken_by.arn,
        made_by=maker.actor_arn or f"account {maker.account_id}",
        made_by_event_id=maker.event_id,
        made_by_event_name=maker.event_name,
        action=(
            "reported; not copied and nothing renamed. Delete or rename that image, or tag it "
            f"govbot:source-arn={job.source_arn} to adopt it as the copy; the next "
            "replicator sweep takes it from there"
        ),
    )
    payload = _payload(
        GoldenNameTaken, "medium", job.source_arn, summary, now, details,
        actor_arn=maker.actor_arn,
    )  # fmt: skip
    stamp = format_ts(taken_since) if taken_since else "-"
    return OutboxItem.from_payload(payload, discriminators=(job.source_arn, taken_by.arn, stamp))


def copy_restored(job: CopyJob, drift: Sequence[str], *, now: datetime) -> OutboxItem:
    """``drift_found``: a completed copy's tags or shares drifted and were restored."""
    copy_ref = ImageRef(
        account_id=ImageRef.from_arn(job.source_arn).account_id,
        region=job.destination_region,
        name=job.destination_name,
    )
    summary = (
        f"golden copy {job.destination_name} in {job.destination_region} drifted from its "
        f"source: {len(drift)} change(s) restored"
    )
    payload = DriftFound(
        severity="medium",
        image_arn=copy_ref.arn,
        image_name=copy_ref.name,
        region=copy_ref.region,
        account_id=copy_ref.account_id,
        summary=summary,
        details=DriftDetails(
            drift=list(drift),
            source_image_arn=job.source_arn,
            action="restored the source's tags, govbot's provenance and the compliant shares",
        ),
        occurred_at=format_ts(now),
    )
    return OutboxItem.from_payload(payload, discriminators=(copy_ref.arn, format_ts(now), *drift))
