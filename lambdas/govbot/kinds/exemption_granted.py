"""``exemption_granted``: an approver granted an exemption from Slack."""

from __future__ import annotations

from govbot.kinds.common import exemption_fields, message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import ExemptionGranted


def render(p: ExemptionGranted, outbox_id: str, days: int) -> RenderedMessage:
    """An approver granted an exemption from Slack."""
    return message(
        p, outbox_id, "Exemption granted", "recorded the exemption", exemption_fields(p.details)
    )


SPEC = register_kind(
    KindSpec(
        name="exemption_granted",
        payload=ExemptionGranted,
        render=render,
        max_severity="info",
        label="an approver granted an exemption from Slack",
    )
)
