"""``violation_audit``: a forbidden share seen in audit mode; nothing changed, buttons offered."""

from __future__ import annotations

from govbot.kinds.blocks import Block, section
from govbot.kinds.buttons import buttons
from govbot.kinds.common import BUILDER_WARNING, message, pairs_text, violation_pairs
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import ViolationAudit


def render(p: ViolationAudit, outbox_id: str, days: int) -> RenderedMessage:
    """A forbidden share seen in audit mode: nothing changed, buttons offered."""
    extra: list[Block] = [section(f"*Violations:*\n{pairs_text(p) or 'see summary'}")]
    if any(perm == "image_builder" for _a, perm, _r in violation_pairs(p)):
        extra.append(section(BUILDER_WARNING))
    extra.extend(buttons(p, outbox_id, days, remedied=False))
    return message(p, outbox_id, "Policy violation (audit)", "nothing (audit mode)", extra)


SPEC = register_kind(
    KindSpec(
        name="violation_audit",
        payload=ViolationAudit,
        render=render,
        max_severity="critical",
        label="a forbidden share seen in audit mode (left in place)",
        names_violations=True,
    )
)
