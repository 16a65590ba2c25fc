"""``drift_found``: a sweep found drift (shares against the policy, a copy against its source)."""

from __future__ import annotations

from govbot.kinds.blocks import esc, section
from govbot.kinds.common import drift_lines, message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import DriftFound


def render(p: DriftFound, outbox_id: str, days: int) -> RenderedMessage:
    """A sweep found drift: shares differing from the policy (drift sweep), or a golden
    copy's tags/shares differing from its source (replicator sweep, restored)."""
    what = esc(p.details.action or "reported the drift")
    drift = section("*Drift:*\n" + drift_lines(p.details.drift))
    return message(p, outbox_id, "Drift found", what, [drift])


SPEC = register_kind(
    KindSpec(
        name="drift_found",
        payload=DriftFound,
        render=render,
        max_severity="critical",
        label="a sweep found shares or tags differing from the policy",
    )
)
