"""Typed shapes the notifier works with: the outbox payload and a rendered message.

The payload model is the producers' own (``govbot.ledger.records.payload.OutboxPayload``,
one class per message kind with typed ``details``; contract in ``docs/architecture.md``).
Parsing is strict about the kind and the type of every known field, and tolerant about
fields it does not know, so that a producer adding a field never breaks delivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from govbot.kinds import RenderedMessage, kind_names, kind_spec
from govbot.ledger.records.payload import PayloadEnvelope

__all__ = ["DeliveryResult", "PayloadError", "RenderedMessage", "parse_payload"]
MAX_PROBLEMS = 5  # listed per rejected payload; the rest are counted


class PayloadError(ValueError):
    """An outbox payload that cannot be rendered (names the field and what was expected)."""


def parse_payload(raw: str | dict[str, Any], *, outbox_id: str = "?") -> PayloadEnvelope:
    """Parse an outbox payload (JSON string or dict) into the payload class of its kind
    (the ``payload`` model of its registered ``KindSpec``).

    Raises
    ------
    PayloadError
        Naming the outbox item and the offending field (``details.<field>`` for the
        kind-specific part), or the unknown ``message_kind`` and the kinds expected.
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
    kind = data.get("message_kind")
    spec = kind_spec(kind) if isinstance(kind, str) else None
    if spec is None:
        raise PayloadError(
            f"outbox {outbox_id}: field 'message_kind' is {kind!r}, expected one of "
            f"{', '.join(kind_names())}"
        )
    try:
        return spec.payload.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors()[:MAX_PROBLEMS])
        more = len(exc.errors()) - MAX_PROBLEMS
        if more > 0:
            problems += f"; ...and {more} more"
        raise PayloadError(f"outbox {outbox_id}: invalid {kind} payload ({problems})") from exc


def _problem(err: Any) -> str:
    where = ".".join(str(p) for p in err["loc"]) or "payload"
    got = err.get("input")
    shown = repr(got)[:60] if not isinstance(got, dict | list) else type(got).__name__
    return f"{where}: {err['msg']} (got {shown})"


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one outbox item (for the handler's logs and for tests)."""

    outbox_id: str
    status: str
    routes: tuple[str, ...] = ()
    digest_ids: tuple[str, ...] = ()
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
