"""Exemptions that ran out: mark Slack-granted ones expired and tell people, once each.

Runs with the drift sweep. Policy-file exemptions cannot be edited by govbot, so their
expiry is announced (once: the outbox id is deterministic) as a reminder to remove them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from govbot.ledger.keys import format_ts
from govbot.ledger.records.details import ExemptionDetails
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import ExemptionExpired
from govbot.ledger.records.state import ExemptionRecord
from govbot.policy.exemptions import Exemption


class ExemptionLedger(Protocol):
    """The ledger calls exemption expiry needs."""

    def lapsed_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]: ...
    def put_exemption(self, rec: ExemptionRecord) -> ExemptionRecord: ...
    def add_outbox(self, items: Sequence[OutboxItem]) -> int: ...


def _item(details: ExemptionDetails, base: dict[str, Any]) -> OutboxItem:
    exemption_id = details.exemption_id
    payload = ExemptionExpired(
        severity="low",
        summary=f"exemption {exemption_id} has expired; the policy applies again",
        rule_ids=[],
        **base,
        details=details,
    )
    return OutboxItem.from_payload(
        payload, discriminators=(str(exemption_id), str(details.expires))
    )


def expire_exemptions(
    ledger: ExemptionLedger, policy_exemptions: Sequence[Exemption], now: datetime
) -> int:
    """Mark lapsed ledger exemptions expired and queue one notice per expiry; return count."""
    items: list[OutboxItem] = []
    for record in ledger.lapsed_exemptions(now):
        ledger.put_exemption(record.model_copy(update={"status": "expired"}))
        base: dict[str, Any] = {"shared_account_ids": [record.account_id]}
        if record.image_arn:
            base["image_arn"] = record.image_arn
            base["image_name"] = record.image_arn.rsplit("/", 1)[-1]
        details = ExemptionDetails(
            exemption_id=record.exemption_id,
            approver=record.approver,
            expires=format_ts(record.expires_at),
            reason=record.reason,
            permission=record.permission,
        )
        items.append(_item(details, base))
    for exemption in policy_exemptions:
        if exemption.is_active(now):
            continue
        details = ExemptionDetails(
            exemption_id=exemption.id,
            approver=exemption.approver,
            expires=format_ts(exemption.expires),
            reason=f"{exemption.reason} (policy file: remove this expired entry)",
            permission=exemption.permission,
        )
        items.append(_item(details, {"shared_account_ids": [exemption.account]}))
    return ledger.add_outbox(items) if items else 0
