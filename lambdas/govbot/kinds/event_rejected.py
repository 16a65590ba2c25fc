"""``event_rejected``: an incoming event was rejected (malformed, or outside the governed scope)."""

from __future__ import annotations

from govbot.kinds.blocks import esc, fields, section
from govbot.kinds.common import message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import EventRejected


def render(p: EventRejected, outbox_id: str, days: int) -> RenderedMessage:
    """An incoming event was rejected (malformed, or outside the governed accounts/regions).

    Names the event (name, source, account, region) and lists every problem of the reason.
    """
    d = p.details
    name = d.event_name
    extra = fields(
        [
            ("Event", f"`{esc(name)}`" if name else "unknown"),
            ("Source", esc(d.event_source or "unknown")),
            # Where the rejection is recorded (never under the eventID the input claims).
            ("Ledger record", f"`{esc(d.ledger_id)}`" if d.ledger_id else "unknown"),
        ]
    )
    reason = d.reason or p.summary or "unknown"
    problems = "\n".join(f"• {esc(part)}" for part in reason.split("; ") if part)
    extra.append(section(f"*Problems:*\n{problems}"))
    title = f"Event rejected: {name}" if name else "Event rejected"
    return message(p, outbox_id, title, "recorded it as rejected; nothing was changed", extra)


SPEC = register_kind(
    KindSpec(
        name="event_rejected",
        payload=EventRejected,
        render=render,
        max_severity="low",
        label="an incoming event was rejected (recorded, nothing changed)",
    )
)
