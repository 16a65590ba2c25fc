"""Typed shapes the notifier works with: the outbox payload and a rendered message.

The payload model is the producers' own (``govbot.ledger.records.payload.OutboxPayload``,
contract in ``docs/architecture.md``). Parsing is strict about what rendering needs (kind)
and tolerant about the rest, so that a producer adding a field never breaks delivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import ValidationError

from govbot.domain import MessageKind
from govbot.ledger.records.payload import OutboxPayload

MESSAGE_KINDS: tuple[str, ...] = get_args(MessageKind)


class PayloadError(ValueError):
    """An outbox payload that cannot be rendered (names the field and what was expected)."""


def parse_payload(raw: str | dict[str, Any], *, outbox_id: str = "?") -> OutboxPayload:
    """Parse an outbox payload (JSON string or dict) into an :class:`OutboxPayload`.

    Raises
    ------
    PayloadError
        Naming the outbox item and the offending field.
    """
    data: Any = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise PayloadError(
                f"outbox {outbox_id}: field 'payload' is not valid JSON ({exc.msg} at {exc.pos})"
            ) from exc
    if not isinstance(data, dict):
        raise PayloadError(
            f"outbox {outbox_id}: field 'payload' must be a JSON object, got {type(data).__name__}"
        )
    try:
        return OutboxPayload.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'payload'}: {err['msg']}"
            for err in exc.errors()
        )
        raise PayloadError(f"outbox {outbox_id}: invalid payload ({problems})") from exc


@dataclass(frozen=True)
class RenderedMessage:
    """A Slack message ready to send: fallback text plus Block Kit blocks (plain dicts)."""

    text: str
    blocks: list[dict[str, Any]]
    kind: str
    outbox_id: str

    def body(self) -> dict[str, Any]:
        """The JSON body an incoming webhook expects."""
        return {"text": self.text, "blocks": self.blocks}


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one outbox item (for the handler's logs and for tests)."""

    outbox_id: str
    status: str
    routes: tuple[str, ...] = ()
    digest_ids: tuple[str, ...] = ()
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
