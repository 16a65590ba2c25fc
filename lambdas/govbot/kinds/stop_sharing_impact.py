"""``stop_sharing_impact``: fleet access removed; the account's fleets drop to capacity 0."""

from __future__ import annotations

from govbot.kinds.blocks import esc, section
from govbot.kinds.common import message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import StopSharingImpact


def render(p: StopSharingImpact, outbox_id: str, days: int) -> RenderedMessage:
    """Fleet access removed: that account's fleets on the image drop to capacity 0."""
    names = ", ".join(f"`{esc(f)}`" for f in (p.details.fleets or [])[:30]) or (
        "none" if p.details.consumer_governed else "unknown (not visible from here)"
    )
    impact = p.details.fleet_impact
    text = (
        f":warning: {esc(impact)}"
        if impact
        else (
            ":warning: Fleet permission was removed. Fleets of the account(s) above that use "
            "this image have their desired capacity set to *0*; existing sessions run to "
            "their end."
        )
    ) + f"\n*Fleets at desired capacity 0:* {names}"
    what = esc(p.details.action or "stopped sharing fleet access")
    return message(p, outbox_id, "Fleet access removed", what, [section(text)])


SPEC = register_kind(
    KindSpec(
        name="stop_sharing_impact",
        payload=StopSharingImpact,
        render=render,
        max_severity="medium",
        label="fleet access removed: the account's fleets drop to capacity 0",
    )
)
