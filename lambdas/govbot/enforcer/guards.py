"""Guards around a remedy: an exclusive claim per event, and the fence of each share.

- **Claim.** Two invocations of one event (SQS delivers at least once, sometimes twice at
  the same moment) must make one remedy call, not two. Right before writing its remedy
  intents an invocation takes the event's claim, a conditional write under a lease; one
  that finds the event recorded by another waits (:func:`await_turn`) until the event is
  committed (a duplicate) or the claim is free, or, after ``wait_seconds``, hands its
  record back to SQS. A claim is kept after a success (the committed event answers any
  later copy) and given back on a failure; a dead holder's claim lapses with its lease.
- **Fence.** See :mod:`govbot.enforcer.takeaway`: govbot's writes and the owner's changes of
  one share stamp the same item, so a late remedy can be told apart from the owner's state.

The deployed enforcer keeps both in the ledger table (:class:`govbot.ledger.Ledger`);
:class:`LocalGuards` holds them in memory for one process (unit tests, the CLI).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from govbot.batch import HandBack
from govbot.clock import utcnow
from govbot.ledger._guards import FenceState
from govbot.ledger.records.events import EventBundle


class GuardPort(Protocol):
    """Claims and share fences (the ledger gateway implements it)."""

    def claim(self, key: str, holder: str, *, lease_seconds: int) -> bool: ...
    def release(self, key: str, holder: str) -> None: ...
    def fence_owner_change(
        self,
        image_arn: str,
        account_id: str,
        event_time: datetime,
        fleet: bool | None,
        builder: bool | None,
    ) -> FenceState: ...
    def fence_govbot_write(
        self, image_arn: str, account_id: str, wrote_at: datetime
    ) -> FenceState: ...


class ClaimHeld(HandBack):
    """Another invocation holds this event's claim: the record goes back to SQS, untouched."""


@dataclass(frozen=True)
class ClaimSettings:
    """How long a claim lasts and how long a second invocation waits for it.

    ``lease_seconds`` must outlast the function's timeout (60 s deployed) and stay under the
    queue's visibility timeout (6x it), so a dead holder's claim has lapsed by the retry.
    """

    lease_seconds: int = 120
    wait_seconds: float = 5.0
    poll_seconds: float = 0.05
    max_poll_seconds: float = 0.4


# Who holds claims in this thread of work (one id per event handled; see logic._once).
CLAIM_HOLDER: ContextVar[str] = ContextVar("govbot_claim_holder", default="")


def new_holder() -> str:
    """A fresh claim-holder id for one handling of one event."""
    return uuid.uuid4().hex


def await_turn(
    guards: GuardPort,
    bundle: EventBundle,
    read: Callable[[], EventBundle],
    holder: str,
    settings: ClaimSettings | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> EventBundle | None:
    """Wait until ``holder`` may carry on an event another invocation recorded first.

    Every remedy is made under the event's claim (taken with a lease just before the
    intents are written). An invocation that finds the event already recorded lands here:
    it returns None as soon as the event is committed (a duplicate), the event as it stands
    once it holds the claim itself, or raises :class:`ClaimHeld` after ``wait_seconds``.
    """
    settings = settings or ClaimSettings()
    give_up = monotonic() + settings.wait_seconds
    pause = settings.poll_seconds
    while True:
        if bundle.is_final:
            return None
        if guards.claim(bundle.event_id, holder, lease_seconds=settings.lease_seconds):
            return bundle
        if monotonic() >= give_up:
            raise ClaimHeld(
                f"event {bundle.event_id} is being handled by another invocation (for more "
                f"than {settings.wait_seconds:g} s): handed back to SQS"
            )
        # Backing off: each look is a ledger read, and the holder needs the table more.
        sleep(pause)
        pause = min(pause * 2, settings.max_poll_seconds)
        bundle = read()


class LocalGuards:
    """:class:`GuardPort` in memory, for one process (thread-safe)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._claims: dict[str, tuple[str, datetime]] = {}
        self._fences: dict[tuple[str, str], FenceState] = {}

    def claim(self, key: str, holder: str, *, lease_seconds: int) -> bool:
        """Take ``key`` unless another holder's lease is still running."""
        with self._lock:
            now = self._clock()
            current = self._claims.get(key)
            if current is not None and current[0] != holder and current[1] >= now:
                return False
            self._claims[key] = (holder, now + timedelta(seconds=lease_seconds))
            return True

    def release(self, key: str, holder: str) -> None:
        """Drop ``key`` if ``holder`` holds it."""
        with self._lock:
            if self._claims.get(key, ("", None))[0] == holder:
                del self._claims[key]

    def fence_owner_change(
        self,
        image_arn: str,
        account_id: str,
        event_time: datetime,
        fleet: bool | None,
        builder: bool | None,
    ) -> FenceState:
        """Stamp the owner's change unless a later one is stamped already."""
        with self._lock:
            fence = self._fences.get((image_arn, account_id), FenceState())
            if fence.owner_changed_at is None or fence.owner_changed_at < event_time:
                deleted = fleet is None and builder is None
                fence = replace(
                    fence,
                    owner_changed_at=event_time,
                    owner_deleted=deleted,
                    owner_fleet=bool(fleet),
                    owner_builder=bool(builder),
                )
                self._fences[(image_arn, account_id)] = fence
            return fence

    def fence_govbot_write(self, image_arn: str, account_id: str, wrote_at: datetime) -> FenceState:
        """Stamp govbot's write."""
        with self._lock:
            fence = self._fences.get((image_arn, account_id), FenceState())
            fence = replace(fence, govbot_wrote_at=wrote_at)
            self._fences[(image_arn, account_id)] = fence
            return fence
