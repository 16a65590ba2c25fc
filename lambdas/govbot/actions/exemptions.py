"""Exemptions granted from Slack: the ledger record an approver's click writes.

The engine reads them back through ``govbot.governance`` (``to_policy_exemptions``), which
every entry point's ``Judge`` uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from govbot.ledger.keys import stable_id
from govbot.ledger.records import ExemptionRecord


def exemption_id_for(image_arn: str, account_id: str, permission: str) -> str:
    """Deterministic id: clicking again on the same thing extends, never duplicates."""
    return "slack-" + stable_id("slack-exemption", image_arn, account_id, permission)


def build_exemption(
    *,
    image_arn: str,
    account_id: str,
    permission: str,
    days: int,
    approver: str,
    reason: str,
    now: datetime,
) -> ExemptionRecord:
    """The ledger record for an exemption granted from Slack, expiring in ``days``."""
    return ExemptionRecord(
        exemption_id=exemption_id_for(image_arn, account_id, permission),
        image_arn=image_arn,
        account_id=account_id,
        permission=permission,
        reason=reason,
        approver=approver,
        expires_at=now + timedelta(days=days),
        granted_at=now,
        source="slack",
        status="active",
    )
