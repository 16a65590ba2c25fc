"""``golden_copy_failed``: a golden image copy failed."""

from __future__ import annotations

from govbot.kinds.blocks import esc
from govbot.kinds.common import copy_fields, message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import GoldenCopyFailed


def render(p: GoldenCopyFailed, outbox_id: str, days: int) -> RenderedMessage:
    """A golden image copy failed."""
    what = esc(p.details.action or "the copy failed; it will be retried by the replicator")
    return message(
        p, outbox_id, "Golden copy FAILED", what, copy_fields(p.details, p.details.error)
    )


SPEC = register_kind(
    KindSpec(
        name="golden_copy_failed",
        payload=GoldenCopyFailed,
        render=render,
        max_severity="high",
        label="a golden image copy failed",
    )
)
