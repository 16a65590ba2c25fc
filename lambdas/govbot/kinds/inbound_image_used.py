"""``inbound_image_used``: a governed fleet or builder runs an image an untrusted account owns."""

from __future__ import annotations

from govbot.kinds.blocks import Block, esc, section
from govbot.kinds.common import message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import InboundImageUsed


def render(p: InboundImageUsed, outbox_id: str, days: int) -> RenderedMessage:
    """A governed fleet or builder runs an image owned by an untrusted account."""
    d = p.details
    listed = "\n".join(
        f"• {esc(u.kind.replace('_', ' '))} `{esc(u.name)}` in account "
        f"`{esc(u.account_id)}` ({esc(u.state)})"
        for u in d.uses[:30]
    )
    reasons = "\n".join(f"• {esc(v.reason)}" for v in d.violations)
    owner = esc(d.owner_account_id or p.account_id or "unknown")
    extra: list[Block] = [
        section(f"*Runs it:*\n{listed or 'see summary'}"),
        section(f"*Image:* `{esc(p.image_arn or p.image_name)}`\n*Owned by:* `{owner}`"),
    ]
    if reasons:
        extra.append(section(f"*Why:*\n{reasons}"))
    what = esc(d.action or "reported only")
    return message(p, outbox_id, "Image from an untrusted owner in use", what, extra)


SPEC = register_kind(
    KindSpec(
        name="inbound_image_used",
        payload=InboundImageUsed,
        render=render,
        max_severity="critical",
        label="a governed fleet or builder runs an untrusted owner's image",
    )
)
