"""``violation_resolved``: violations announced earlier are gone."""

from __future__ import annotations

from govbot.kinds.blocks import Block, esc, section
from govbot.kinds.common import message, pairs_text
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import ViolationResolved


def render(p: ViolationResolved, outbox_id: str, days: int) -> RenderedMessage:
    """Violations announced earlier are gone (fixed by someone, or the image was deleted)."""
    extra: list[Block] = [section(f"*No longer standing:*\n{pairs_text(p) or 'see summary'}")]
    what = esc(p.details.cause or "recorded the resolution")
    return message(p, outbox_id, "Violation resolved", what, extra)


SPEC = register_kind(
    KindSpec(
        name="violation_resolved",
        payload=ViolationResolved,
        render=render,
        max_severity="critical",
        label="violations announced earlier are gone",
        names_violations=True,
    )
)
