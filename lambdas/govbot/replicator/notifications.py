"""Outbox items the replicator writes (payload format: docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from govbot.domain import ImageRef, MessageKind, Severity, SharedAccountPermission
from govbot.ledger.keys import format_ts
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import OutboxPayload
from govbot.ledger.records.state import CopyJob
from govbot.replicator.plan import DroppedShare


def _payload(
    kind: MessageKind,
    severity: Severity,
    job_source: str,
    summary: str,
    now: datetime,
    details: dict[str, Any],
    **extra: Any,
) -> OutboxPayload:
    source = ImageRef.from_arn(job_source)
    return OutboxPayload(
        message_kind=kind,
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
    details = {
        "destination_region": job.destination_region,
        "destination_image_name": job.destination_name,
        "destination_image_arn": destination_arn,
        "attempts": job.attempts,
        "shares_applied": [
            {"account_id": s.account_id, "permissions": sorted(s.permissions.granted())}
            for s in shares
        ],
        "shares_not_propagated": [d.as_dict() for d in dropped],
        "tags_left_out": list(tags_left_out),
        "action": "copied the golden image, restored its tags and its compliant sharing",
    }
    payload = _payload(
        "golden_copy_completed",
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


def copy_failed(job: CopyJob, *, error: str, now: datetime) -> OutboxItem:
    """``golden_copy_failed``: the copy failed ``job.attempts`` times; no more retries."""
    details = {
        "destination_region": job.destination_region,
        "destination_image_name": job.destination_name,
        "attempts": job.attempts,
        "error": error,
        "action": (
            f"gave up after {job.attempts} attempt(s); the failed image is left in place "
            "for diagnosis"
        ),
    }
    summary = (
        f"golden image copy to {job.destination_region} failed {job.attempts} time(s): {error}"
    )
    created = format_ts(job.created_at) if job.created_at else "-"
    return OutboxItem.from_payload(
        _payload("golden_copy_failed", "high", job.source_arn, summary, now, details),
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
    details = {"copies": copies, "action": "recorded; copies left in place"}
    first = min((format_ts(j.created_at) for j in jobs if j.created_at), default="-")
    return OutboxItem.from_payload(
        _payload("golden_source_deleted", "medium", source_arn, summary, now, details),
        discriminators=(source_arn, first),
    )
