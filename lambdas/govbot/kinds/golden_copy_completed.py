"""``golden_copy_completed``: a golden image copy reached AVAILABLE in its destination region."""

from __future__ import annotations

from govbot.kinds.common import copy_fields, message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import GoldenCopyCompleted


def render(p: GoldenCopyCompleted, outbox_id: str, days: int) -> RenderedMessage:
    """A golden image copy reached AVAILABLE in its destination region."""
    return message(
        p, outbox_id, "Golden copy completed", "copied the golden image", copy_fields(p.details)
    )


SPEC = register_kind(
    KindSpec(
        name="golden_copy_completed",
        payload=GoldenCopyCompleted,
        render=render,
        max_severity="info",
        label="a golden image copy is available in its region",
    )
)
