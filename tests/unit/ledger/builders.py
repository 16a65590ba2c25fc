"""Small builders of valid ledger records for the ledger tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from govbot.ledger import (
    ActionRecord,
    CopyJob,
    DecisionRecord,
    EventRecord,
    ExemptionRecord,
    OutboxItem,
)

OWNER = "111111111111"
GRANTEE = "222222222222"
OTHER = "333333333333"
REGION = "us-east-1"
IMAGE_ARN = f"arn:aws:appstream:{REGION}:{OWNER}:image/golden-base"
OTHER_IMAGE_ARN = f"arn:aws:appstream:{REGION}:{OWNER}:image/other"
BOT_ARN = f"arn:aws:sts::{OWNER}:assumed-role/govbot-enforcer/govbot"
T0 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def event(event_id: str = "evt-1", **over: Any) -> EventRecord:
    data: dict[str, Any] = {
        "event_id": event_id,
        "event_name": "UpdateImagePermissions",
        "actor_arn": f"arn:aws:iam::{OWNER}:user/alice",
        "image_arn": IMAGE_ARN,
        "region": REGION,
        "account_id": OWNER,
        "shared_account_id": GRANTEE,
        "occurred_at": T0,
        "raw": f'{{"id": "{event_id}"}}',
    }
    return EventRecord(**{**data, **over})


def decision(event_id: str = "evt-1", **over: Any) -> DecisionRecord:
    data: dict[str, Any] = {
        "event_id": event_id,
        "rule_id": "no-builder-sharing",
        "account_id": GRANTEE,
        "permission": "image_builder",
        "outcome": "violation",
        "mode": "enforce",
        "reason": "image builder sharing is forbidden",
        "image_arn": IMAGE_ARN,
        "region": REGION,
    }
    return DecisionRecord(**{**data, **over})


def action(event_id: str = "evt-1", seq: int = 1, **over: Any) -> ActionRecord:
    data: dict[str, Any] = {
        "event_id": event_id,
        "seq": seq,
        "operation": "UpdateImagePermissions",
        "request": {
            "Name": "golden-base",
            "SharedAccountId": GRANTEE,
            "ImagePermissions": {"allowFleet": True, "allowImageBuilder": False},
        },
        "status": "succeeded",
        "image_arn": IMAGE_ARN,
        "region": REGION,
        "account_id": OWNER,
        "shared_account_id": GRANTEE,
        "actor_arn": BOT_ARN,
    }
    return ActionRecord(**{**data, **over})


def outbox(event_id: str = "evt-1", kind: Any = "violation_remedied", **over: Any) -> OutboxItem:
    payload = {
        "image_arn": IMAGE_ARN,
        "image_name": "golden-base",
        "region": REGION,
        "account_id": OWNER,
        "shared_account_ids": [GRANTEE],
        "summary": "removed image builder permission",
        "details": {"ratio": 0.5},
        "event_id": event_id,
    }
    item = OutboxItem.new(kind, "high", payload, discriminators=(event_id,))
    return item.model_copy(update=over) if over else item


def exemption(exemption_id: str = "ex-1", **over: Any) -> ExemptionRecord:
    data: dict[str, Any] = {
        "exemption_id": exemption_id,
        "image_arn": IMAGE_ARN,
        "account_id": GRANTEE,
        "permission": "image_builder",
        "reason": "vendor build until Friday",
        "approver": "U024BE7LH",
        "expires_at": datetime(2026, 12, 4, tzinfo=UTC),
    }
    return ExemptionRecord(**{**data, **over})


def copy_job(region: str = "eu-west-1", **over: Any) -> CopyJob:
    data: dict[str, Any] = {
        "source_arn": IMAGE_ARN,
        "destination_region": region,
        "destination_name": "golden-base",
    }
    return CopyJob(**{**data, **over})
