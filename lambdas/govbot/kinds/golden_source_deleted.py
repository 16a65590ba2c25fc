"""``golden_source_deleted``: the source of golden copies was deleted."""

from __future__ import annotations

from govbot.kinds.blocks import esc, section
from govbot.kinds.common import message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import GoldenSourceDeleted


def render(p: GoldenSourceDeleted, outbox_id: str, days: int) -> RenderedMessage:
    """The source of golden copies was deleted."""
    listed = "\n".join(f"• `{esc(c)}`" for c in p.details.copies[:20]) or "none recorded"
    return message(
        p,
        outbox_id,
        "Golden source deleted",
        "recorded; copies left in place",
        [section(f"*Copies still present:*\n{listed}")],
    )


SPEC = register_kind(
    KindSpec(
        name="golden_source_deleted",
        payload=GoldenSourceDeleted,
        render=render,
        max_severity="medium",
        label="the source of golden copies was deleted",
    )
)
