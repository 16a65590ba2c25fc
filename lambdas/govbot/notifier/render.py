"""Render an outbox payload with its kind's renderer (``govbot.kinds``), then check it.

Each kind's rendering lives in its own module of ``govbot.kinds``; here the notifier looks
the kind up and checks the blocks against Slack's rules (``blockkit.validate_blocks``: a
slack_sdk parse round trip and the message limits) before anything is posted.
"""

from __future__ import annotations

from govbot.kinds import RenderedMessage, kind_names, kind_spec
from govbot.ledger.records.payload import PayloadEnvelope
from govbot.notifier.blockkit import RenderError, validate_blocks


def render(payload: PayloadEnvelope, outbox_id: str, *, exemption_days: int = 7) -> RenderedMessage:
    """Render an outbox payload with the renderer of its kind (checked for Slack).

    Raises ``RenderError`` for a kind nobody registered or blocks Slack would refuse.
    """
    spec = kind_spec(payload.message_kind)
    if spec is None:
        raise RenderError(
            f"no renderer for message kind {payload.message_kind!r}; "
            f"registered: {', '.join(kind_names())}"
        )
    message = spec.render(payload, outbox_id, exemption_days)
    validate_blocks(message.blocks)
    return message
