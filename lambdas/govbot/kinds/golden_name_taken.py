"""``golden_name_taken``: an image govbot did not make holds a golden copy's name."""

from __future__ import annotations

from govbot.kinds.blocks import esc, fields
from govbot.kinds.common import copy_fields, message
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.payload import GoldenNameTaken


def render(p: GoldenNameTaken, outbox_id: str, days: int) -> RenderedMessage:
    """An image govbot did not make holds a golden copy's name: reported, not copied."""
    d = p.details
    extra = copy_fields(d) + fields(
        [
            ("Held by", f"`{esc(d.taken_by_image_arn)}`" if d.taken_by_image_arn else ""),
            ("Made by", f"`{esc(d.made_by)}`" if d.made_by else "unknown"),
        ]
    )
    what = esc(d.action or "reported; nothing copied or renamed")
    return message(p, outbox_id, "Golden name taken", what, extra)


SPEC = register_kind(
    KindSpec(
        name="golden_name_taken",
        payload=GoldenNameTaken,
        render=render,
        max_severity="medium",
        label="an image govbot did not make holds a golden copy's name",
    )
)
