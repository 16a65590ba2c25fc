"""The check every rendered message goes through before it is posted.

Messages are built as plain dicts (``govbot.kinds.blocks``); here each block is parsed by
slack_sdk's models and must serialize back unchanged, and the message-level limits
slack_sdk does not check are applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50  # Slack: a message carries at most 50 blocks


class RenderError(ValueError):
    """A rendered message breaks a Block Kit rule (names the block and the rule)."""


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
