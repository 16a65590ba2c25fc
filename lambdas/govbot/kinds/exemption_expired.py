"""``exemption_expired``: an exemption expired; the policy applies again."""

from __future__ import annotations

from govbot.kinds.common import exemption_fields, message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import ExemptionExpired


def render(p: ExemptionExpired, outbox_id: str, days: int) -> RenderedMessage:
    """An exemption expired: the policy applies again."""
    return message(
        p,
        outbox_id,
        "Exemption expired",
        "policy applies again from now",
        exemption_fields(p.details),
    )


SPEC = register_kind(
    KindSpec(
        name="exemption_expired",
        payload=ExemptionExpired,
        render=render,
        max_severity="low",
        label="an exemption expired; the policy applies again",
    )
)
