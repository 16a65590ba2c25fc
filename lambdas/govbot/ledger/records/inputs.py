"""Value objects the ledger's write methods take, built once by their callers.

Not stored as such (the ledger turns them into records): they carry what one call
needs, so a port, the ledger and its fakes share one signature instead of repeating a
long list of keyword arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

UnhandledStatus = Literal["rejected", "ignored"]


@dataclass(frozen=True)
class UnhandledInput:
    """An input recorded without being handled: ``rejected`` (refused, people are told)
    or ``ignored`` (valid, not governed), with why.

    ``event_id`` is the id the input claimed (a rejection is keyed by the hash of ``raw``
    instead); ``event_name``, ``event_source``, ``account_id`` and ``region`` are what the
    input said about itself, kept when present.
    """

    status: UnhandledStatus
    reason: str
    raw: str
    received_at: datetime
    event_id: str | None = None
    event_name: str | None = None
    event_source: str | None = None
    account_id: str | None = None
    region: str | None = None
