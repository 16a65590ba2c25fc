"""In-memory fakes and factories shared by the notify tests (no AWS, no network)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from govbot.ledger.records import (
    ActionRecord,
    EventRecord,
    ExemptionRecord,
    OutboxItem,
    OutboxStatus,
)
from govbot.policy.models import Policy
from govbot.policy.sections import Route

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


class FakeLedger:
    """Dict-backed stand-in for the parts of ``govbot.ledger.gateway.Ledger`` notify uses."""

    def __init__(self, items: Iterable[OutboxItem] = ()) -> None:
        self.outbox: dict[str, OutboxItem] = {i.outbox_id: i for i in items}
        self.events: dict[str, EventRecord] = {}
        self.actions: list[ActionRecord] = []
        self.exemptions: dict[str, ExemptionRecord] = {}
        self.marks: list[tuple[str, str, int]] = []

    def add_outbox(self, items: Iterable[OutboxItem]) -> int:
        new = 0
        for item in items:
            if item.outbox_id not in self.outbox:
                self.outbox[item.outbox_id] = item
                new += 1
        return new

    def get_outbox(self, outbox_id: str) -> OutboxItem | None:
        return self.outbox.get(outbox_id)

    def outbox_by_status(self, status: OutboxStatus, limit: int = 100) -> list[OutboxItem]:
        return [i for i in self.outbox.values() if i.status == status][:limit]

    def claim_outbox_for_delivery(self, outbox_id: str, *, lease_seconds: int = 120) -> bool:
        item = self.outbox[outbox_id]
        if item.status not in ("pending", "failed"):
            return False
        self.outbox[outbox_id] = item.model_copy(
            update={"status": "sending", "lease_until": T0 + timedelta(seconds=lease_seconds)}
        )
        return True

    def mark_outbox(
        self,
        outbox_id: str,
        *,
        status: OutboxStatus,
        attempts: int,
        error: str | None = None,
        digest_id: str | None = None,
    ) -> None:
        item = self.outbox[outbox_id]
        update: dict[str, Any] = {
            "status": status,
            "delivery_attempts": attempts,
            "lease_until": None,
        }
        if error is not None:
            update["last_error"] = error
        if digest_id is not None:
            update["digest_id"] = digest_id
        self.outbox[outbox_id] = item.model_copy(update=update)
        self.marks.append((outbox_id, status, attempts))

    def record_event(self, rec: EventRecord) -> bool:
        if rec.event_id in self.events:
            return False
        self.events[rec.event_id] = rec
        return True

    def put_action(self, action: ActionRecord) -> None:
        self.actions.append(action)

    def put_exemption(self, rec: ExemptionRecord) -> ExemptionRecord:
        self.exemptions[rec.exemption_id] = rec
        return rec

    def active_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        at = now or T0
        return [r for r in self.exemptions.values() if r.is_active(at)]


class RecordingSink:
    """A sink that records messages and can fail on demand."""

    def __init__(self, fail_times: int = 0, error: Exception | None = None) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail_times = fail_times
        self.error = error
        self.calls = 0

    def send(self, route: Route, body: dict[str, Any]) -> int:
        self.calls += 1
        if self.fail_times > 0:
            self.fail_times -= 1
            assert self.error is not None
            raise self.error
        self.sent.append((route.name, body))
        return 1


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
