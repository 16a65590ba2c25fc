"""Factories shared by the notify tests: payloads, outbox items, a policy, stream batches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from govbot.ledger.records import (
    OutboxItem,
)
from govbot.policy.models import Policy

OWNER = "111111111111"
STRANGER = "999999999999"
TRUSTED = "222222222222"
IMAGE_ARN = f"arn:aws:appstream:us-east-1:{OWNER}:image/golden-web"
APPROVER = "U0APPROVER"
T0 = datetime(2026, 11, 27, 16, 0, 0, tzinfo=UTC)


def payload(
    kind: str = "violation_remedied", severity: str = "critical", **over: Any
) -> dict[str, Any]:
    """A full outbox payload of ``kind`` (architecture contract), with overrides."""
    base: dict[str, Any] = {
        "message_kind": kind,
        "severity": severity,
        "image_arn": IMAGE_ARN,
        "image_name": "golden-web",
        "region": "us-east-1",
        "account_id": OWNER,
        "shared_account_ids": [STRANGER],
        "actor_arn": f"arn:aws:iam::{OWNER}:user/mallory",
        "rule_ids": ["builder-trusted-only"],
        "summary": f"{kind} on golden-web",
        "details": {
            "granted_at": "2026-11-27T16:00:00.000Z",
            "revoked_at": "2026-11-27T16:00:42.000Z",
            "violations": [
                {
                    "account_id": STRANGER,
                    "permission": "image_builder",
                    "rule_id": "builder-trusted-only",
                }
            ],
            "fleets": ["fleet-a"],
            "destination_region": "eu-west-1",
            "destination_image_name": "golden-web",
            "error": "IMAGE_COPY_FAILURE",
            "copies": ["arn:aws:appstream:eu-west-1:111111111111:image/golden-web"],
            "drift": [{"account_id": STRANGER, "expected": "none", "actual": "fleet"}],
            "exemption_id": "slack-abc",
            "approver": APPROVER,
            "expires": "2026-12-04T16:00:00Z",
            "reason": "vendor test",
            "permission": "image_builder",
            "event_name": "UpdateImagePermissions",
        },
        "event_id": "evt-1",
        "occurred_at": "2026-11-27T16:00:00.000Z",
    }
    base.update(over)
    return base


def outbox(
    n: int | str = 1, kind: str = "violation_remedied", severity: str = "critical", **over: Any
) -> OutboxItem:
    """An outbox item as the enforcer would write it."""
    return OutboxItem(
        outbox_id=f"ob-{n}",
        message_kind=kind,
        severity=severity,
        payload=payload(kind, severity, **over),
        created_at=T0,
    )


def policy(**over: Any) -> Policy:
    """A small policy: one builder rule, two routes, a storm limit, one approver."""
    doc: dict[str, Any] = {
        "version": 1,
        "mode": "enforce",
        "trusted_accounts": [TRUSTED],
        "rules": [{"id": "builder-trusted-only", "type": "no_image_builder_for_untrusted"}],
        "approvers": [APPROVER],
        "notifications": {
            "routes": [
                {
                    "name": "security",
                    "kinds": ["violation_remedied", "violation_audit", "stop_sharing_impact"],
                    "min_severity": "high",
                    "webhook": "sec",
                },
                {
                    "name": "ops",
                    "kinds": [
                        "golden_copy_completed",
                        "golden_copy_failed",
                        "golden_source_deleted",
                        "golden_name_taken",
                        "drift_found",
                        "exemption_granted",
                        "exemption_expired",
                        "event_rejected",
                    ],
                    "webhook": "ops",
                },
            ],
            "storm": {"max_messages": 5, "window_seconds": 60},
        },
    }
    doc.update(over)
    return Policy.model_validate(doc)


def stream_event(items: Iterable[OutboxItem], *, start_seq: int = 100) -> dict[str, Any]:
    """A DynamoDB stream batch of outbox INSERTs as Lambda delivers it."""
    from govbot.ledger.codec import encode

    records = []
    for n, item in enumerate(items):
        image = encode(item, retention_days=400)
        records.append(
            {
                "eventID": f"e{n}",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:111111111111:table/ledger/stream/x",
                "dynamodb": {
                    "Keys": {"pk": image["pk"], "sk": image["sk"]},
                    "NewImage": image,
                    "SequenceNumber": str(start_seq + n),
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        )
    return {"Records": records}
