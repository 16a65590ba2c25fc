"""Value objects the ledger's write methods take, built once by their callers.

Not stored as such (the ledger turns them into records): they carry what one call
needs, so a port, the ledger and its fakes share one signature instead of repeating a
long list of keyword arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from govbot.ledger.records.events import (
    ActionRecord,
    DecisionRecord,
    EventRecord,
    FinalEventStatus,
)
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState

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


@dataclass(frozen=True)
class OutcomeCommit:
    """Everything one ``commit_outcome`` writes atomically for event ``event_id``.

    ``decisions``, final ``actions`` and ``outbox`` items, the event's final status and
    ``note``. ``new_event``: the event was never recorded; it is put with its final status,
    conditional on absence. ``announced``: the image's announcement state, stored in the
    same transaction. ``announced_guard`` (an image ARN): the caller assumed that image has
    no open announcement without reading it; the commit checks it.
    """

    event_id: str
    decisions: Sequence[DecisionRecord] = ()
    actions: Sequence[ActionRecord] = ()
    outbox: Sequence[OutboxItem] = ()
    event_status: FinalEventStatus = "processed"
    note: str | None = None
    new_event: EventRecord | None = None
    announced: AnnouncedState | None = None
    announced_guard: str | None = None

    def __post_init__(self) -> None:
        # Frozen all the way down: the sequences a caller passed are copied into tuples.
        for name in ("decisions", "actions", "outbox"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
