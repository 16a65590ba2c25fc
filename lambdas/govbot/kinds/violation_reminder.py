"""``violation_reminder``: the periodic digest of findings still standing."""

from __future__ import annotations

from govbot.kinds.blocks import esc, section
from govbot.kinds.common import drift_lines, message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import ViolationReminder


def render(p: ViolationReminder, outbox_id: str, days: int) -> RenderedMessage:
    """The periodic digest of violations announced before and still standing."""
    what = esc(p.details.action or "nothing (still standing)")
    standing = section("*Standing:*\n" + drift_lines(p.details.drift))
    return message(p, outbox_id, "Still standing", what, [standing])


SPEC = register_kind(
    KindSpec(
        name="violation_reminder",
        payload=ViolationReminder,
        render=render,
        max_severity="critical",
        label="digest of findings still standing",
    )
)
