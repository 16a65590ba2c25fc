"""Block Kit building helpers and the validation every rendered message goes through.

Blocks are built with slack_sdk's models (which validate on ``to_dict``); this module adds
the message-level limits slack_sdk does not check and a parse round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

MAX_BLOCKS = 50  # Slack: a message carries at most 50 blocks
MAX_TEXT = 3000  # section text
MAX_FIELD = 2000  # one section field
MAX_FIELDS = 10  # fields per section
MAX_HEADER = 150  # header plain text
MAX_FALLBACK = 4000  # the top-level text (Slack truncates at 40k; keep it short)


class RenderError(ValueError):
    """A rendered message breaks a Block Kit rule (names the block and the rule)."""


def esc(text: object) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> HeaderBlock:
    """A header block (plain text, clipped to Slack's limit)."""
    return HeaderBlock(text=PlainTextObject(text=clip(text, MAX_HEADER), emoji=True))


def section(markdown: str, *, block_id: str | None = None) -> SectionBlock:
    """A mrkdwn section (clipped to Slack's limit); ``markdown`` must already be escaped."""
    return SectionBlock(text=MarkdownTextObject(text=clip(markdown, MAX_TEXT)), block_id=block_id)


def fields(pairs: Sequence[tuple[str, str]]) -> list[Block]:
    """Label/value pairs as sections of at most 10 fields each (values already escaped)."""
    items = [
        MarkdownTextObject(text=clip(f"*{esc(label)}*\n{value}", MAX_FIELD))
        for label, value in pairs
        if value
    ]
    return [
        SectionBlock(fields=items[i : i + MAX_FIELDS]) for i in range(0, len(items), MAX_FIELDS)
    ]


def context(markdown: str) -> ContextBlock:
    """A small grey context line (already escaped)."""
    return ContextBlock(elements=[MarkdownTextObject(text=clip(markdown, MAX_FIELD))])


def to_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Serialize blocks (slack_sdk validates each on ``to_dict``) and check message limits."""
    try:
        dicts = [block.to_dict() for block in blocks]
    except Exception as exc:  # SlackObjectFormationError and friends
        raise RenderError(f"invalid Block Kit block: {exc}") from exc
    validate_blocks(dicts)
    return dicts


def validate_blocks(blocks: Sequence[dict[str, Any]]) -> None:
    """Check a list of block dicts against Slack's rules via a slack_sdk parse round trip.

    Raises
    ------
    RenderError
        Naming the block index and the broken rule.
    """
    if not blocks:
        raise RenderError("a message needs at least one block")
    if len(blocks) > MAX_BLOCKS:
        raise RenderError(f"message has {len(blocks)} blocks; Slack allows at most {MAX_BLOCKS}")
    for index, raw in enumerate(blocks):
        parsed = Block.parse(raw)
        if parsed is None or type(parsed) is Block:
            raise RenderError(f"block {index}: unknown block type {raw.get('type')!r}")
        try:
            again = parsed.to_dict()
        except Exception as exc:
            raise RenderError(f"block {index} ({raw.get('type')}): {exc}") from exc
        if again != raw:
            raise RenderError(f"block {index} ({raw.get('type')}): does not round-trip")
