"""Pure key, id and time helpers for the ledger's single table (no I/O).

Every key layout of ``docs/architecture.md`` ("Ledger table") is built here and nowhere
else, so the gateway, the tests and the sandbox can never disagree on a key.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Final

from pydantic import AfterValidator

# Index names and their key attributes (the infra construct and create_ledger_table share them).
BY_IMAGE: Final = "by-image"
BY_ACCOUNT: Final = "by-account"
BY_TIME: Final = "by-time"
BY_STATUS: Final = "by-status"

EVENT_SK: Final = "EVENT"
OUTBOX_SK: Final = "OUTBOX"
COPYJOB_SK: Final = "JOB"
EXEMPTION_SK: Final = "EXEMPTION"
ANNOUNCED_SK: Final = "ANNOUNCED"

REJECTED_PREFIX: Final = "REJECTED#"
_SEP: Final = "#"


# --------------------------------------------------------------------------- time


def ensure_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC, truncated to milliseconds.

    Truncation makes a record survive a round trip through the table unchanged (``ts``
    keeps milliseconds only). Naive datetimes are refused: their zone is a guess.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"datetime {value.isoformat()} has no timezone; pass an aware UTC time")
    value = value.astimezone(UTC)
    return value.replace(microsecond=(value.microsecond // 1000) * 1000)


UtcDatetime = Annotated[datetime, AfterValidator(ensure_utc)]
"""A datetime field that must be timezone-aware; stored as UTC with millisecond precision."""


def format_ts(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2026-11-27T16:00:00.000Z`` (sortable as text).

    >>> format_ts(datetime(2026, 11, 27, 16, 0, tzinfo=UTC))
    '2026-11-27T16:00:00.000Z'
    """
    value = ensure_utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> datetime:
    """Parse a ``ts`` string written by :func:`format_ts` (any ISO-8601 with a zone works)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 timestamp: {text!r}") from exc
    return ensure_utc(parsed)


def day_of(value: datetime) -> str:
    """The ``day`` partition (``YYYY-MM-DD``, UTC) of the ``by-time`` index."""
    return ensure_utc(value).strftime("%Y-%m-%d")


def days_between(start: datetime, end: datetime) -> list[str]:
    """Every UTC day partition from ``start`` to ``end`` inclusive, oldest first."""
    if ensure_utc(end) < ensure_utc(start):
        raise ValueError(f"time range is reversed: start {start} is after end {end}")
    first: date = ensure_utc(start).date()
    last: date = ensure_utc(end).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def expiry_epoch(anchor: datetime, retention_days: int) -> int:
    """TTL value (epoch seconds) for an item whose life ends at ``anchor``."""
    if retention_days < 1:
        raise ValueError(f"retention_days must be >= 1, got {retention_days}")
    return int((ensure_utc(anchor) + timedelta(days=retention_days)).timestamp())


# --------------------------------------------------------------------------- keys


def check_component(name: str, value: str) -> str:
    """Refuse key components that would make a composite key ambiguous."""
    if not value:
        raise ValueError(f"{name} must not be empty (it is part of a ledger key)")
    if _SEP in value:
        raise ValueError(f"{name} must not contain '#' (it is part of a ledger key): {value!r}")
    return value


def event_pk(event_id: str) -> str:
    """``EVENT#<eventId>``: the partition holding an event, its decisions and its actions."""
    return f"EVENT#{_check_single('event_id', event_id)}"


def decision_sk(rule_id: str, account_id: str, permission: str) -> str:
    """``DECISION#<rule_id>#<account>#<permission>``."""
    return _SEP.join(
        (
            "DECISION",
            check_component("rule_id", rule_id),
            check_component("account_id", account_id),
            check_component("permission", permission),
        )
    )


def action_sk(seq: int, operation: str) -> str:
    """``ACTION#<n>#<operation>``, ``n`` zero-padded so actions sort in the order taken."""
    if seq < 0:
        raise ValueError(f"action seq must be >= 0, got {seq}")
    return f"ACTION#{seq:04d}#{check_component('operation', operation)}"


def _check_single(name: str, value: str) -> str:
    # A lone trailing component cannot be ambiguous, so '#' is allowed; empty is not.
    if not value:
        raise ValueError(f"{name} must not be empty (it is part of a ledger key)")
    return value


def outbox_pk(outbox_id: str) -> str:
    """``OUTBOX#<outbox_id>``."""
    return f"OUTBOX#{_check_single('outbox_id', outbox_id)}"


def copy_job_pk(source_arn: str, destination_region: str) -> str:
    """``COPYJOB#<source_arn>#<dest_region>``."""
    return (
        f"COPYJOB#{check_component('source_arn', source_arn)}"
        f"#{check_component('destination_region', destination_region)}"
    )


def exemption_pk(exemption_id: str) -> str:
    """``EXEMPTION#<id>``."""
    return f"EXEMPTION#{_check_single('exemption_id', exemption_id)}"


def announced_pk(image_arn: str, viewer_account_id: str | None = None) -> str:
    """``ANNOUNCED#<image arn>``: what people were last told about one image; with a
    viewer, ``ANNOUNCED#<image arn>#VIEWER#<account>``: about another account's image as
    a governed account's fleets and builders use it (one record per viewer)."""
    key = f"ANNOUNCED#{check_component('image_arn', image_arn)}"
    if viewer_account_id is None:
        return key
    return f"{key}#VIEWER#{check_component('viewer_account_id', viewer_account_id)}"


def sweep_lane_sk(account_id: str, region: str) -> str:
    """``LANE#<account>#<region>`` (under ``pk=SWEEP``: the drift sweep's checkpoint)."""
    return f"LANE#{check_component('account_id', account_id)}#{check_component('region', region)}"


def status_key(family: str, status: str) -> str:
    """The ``by-status`` partition, e.g. ``OUTBOX#pending`` or ``COPYJOB#active``."""
    return f"{family}#{status}"


# --------------------------------------------------------------------------- ids


def stable_id(*parts: str) -> str:
    """A deterministic 32-hex id from its parts (same parts, same id, on any machine)."""
    if not parts:
        raise ValueError("stable_id needs at least one part")
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:32]


def outbox_id_for(message_kind: str, *discriminators: str) -> str:
    """Deterministic outbox id: a redelivered event produces the same id, hence no duplicate.

    Pass what makes the message unique, e.g. ``outbox_id_for("violation_remedied", event_id)``
    or ``outbox_id_for("golden_copy_completed", source_arn, region, str(attempt))``.
    """
    if not discriminators:
        raise ValueError("outbox_id_for needs at least one discriminator (e.g. the event id)")
    return stable_id(message_kind, *discriminators)


def rejected_event_id(raw: str) -> str:
    """``REJECTED#<sha256 of raw>``: the id of an event that could not be parsed."""
    # surrogatepass: the id of a body holding a lone surrogate is computed, never raises.
    return REJECTED_PREFIX + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
