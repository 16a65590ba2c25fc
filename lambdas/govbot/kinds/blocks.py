"""Block Kit blocks as plain dicts, for the message kinds' renderers.

The shapes are exactly those slack_sdk's models serialize to, so the notifier's check
(``govbot.notifier.blockkit.validate_blocks``: a slack_sdk parse round trip, Slack's message
limits) passes them unchanged. Building dicts here keeps slack_sdk out of the kind
catalogue, which the policy reads (route kinds) in every function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Block = dict[str, Any]

MAX_TEXT = 3000  # section text
MAX_FIELD = 2000  # one section field
MAX_FIELDS = 10  # fields per section
MAX_HEADER = 150  # header plain text


def esc(text: object) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str) -> Block:
    """A plain_text object (emoji on, as slack_sdk writes it)."""
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> Block:
    """A mrkdwn text object (``text`` already escaped)."""
    return {"type": "mrkdwn", "text": text}


def header(text: str) -> Block:
    """A header block (plain text, clipped to Slack's limit)."""
    return {"type": "header", "text": plain(clip(text, MAX_HEADER))}


def section(markdown: str, *, block_id: str | None = None) -> Block:
    """A mrkdwn section (clipped to Slack's limit); ``markdown`` must already be escaped."""
    block: Block = {"type": "section", "text": mrkdwn(clip(markdown, MAX_TEXT))}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def fields(pairs: Sequence[tuple[str, str]]) -> list[Block]:
    """Label/value pairs as sections of at most 10 fields each (values already escaped)."""
    items = [mrkdwn(clip(f"*{esc(label)}*\n{value}", MAX_FIELD)) for label, value in pairs if value]
    return [
        {"type": "section", "fields": items[i : i + MAX_FIELDS]}
        for i in range(0, len(items), MAX_FIELDS)
    ]


def context(markdown: str) -> Block:
    """A small grey context line (already escaped)."""
    return {"type": "context", "elements": [mrkdwn(clip(markdown, MAX_FIELD))]}


def divider() -> Block:
    """A horizontal rule."""
    return {"type": "divider"}


def confirm(title: str, text: str) -> Block:
    """A confirmation dialog (Slack's default Yes/No buttons)."""
    return {
        "title": plain(title),
        "text": mrkdwn(text),
        "confirm": plain("Yes"),
        "deny": plain("No"),
    }


def button(
    text: str,
    *,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm_with: Block | None = None,
) -> Block:
    """A button element; ``confirm_with`` (see :func:`confirm`) asks before acting."""
    element: Block = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style is not None:
        element["style"] = style
    if confirm_with is not None:
        element["confirm"] = confirm_with
    return element


def actions(elements: list[Block], *, block_id: str) -> Block:
    """An actions block holding ``elements`` (buttons)."""
    return {"type": "actions", "elements": elements, "block_id": block_id}
