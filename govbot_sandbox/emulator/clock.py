"""Clocks for the emulator: the real one, a manual one tests drive, a fast one to watch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock (UTC)."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: copies and builds finish on ``advance``.

    Examples
    --------
    >>> clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    >>> clock.advance(600).isoformat()
    '2026-01-01T00:10:00+00:00'
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock start must be timezone-aware (e.g. tzinfo=UTC)")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` (must not be negative); return the new time."""
        if seconds < 0:
            raise ValueError(f"ManualClock.advance: seconds must be >= 0, got {seconds}")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware, not earlier than now)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware datetime")
        with self._lock:
            if when < self._now:
                raise ValueError(f"ManualClock.set: {when} is earlier than {self._now}")
            self._now = when.astimezone(UTC)


class ScaledClock:
    """Wall time run ``speed`` times faster, plus manual jumps (the live sandbox's clock).

    ``now()`` = start + elapsed real time x ``speed`` + every ``advance``. Copies, builds
    and schedules follow it, so ``speed=60`` turns a 10-minute copy into 10 seconds.

    Examples
    --------
    >>> clock = ScaledClock(speed=60.0)
    >>> later = clock.advance(600)  # ten clock minutes, at once
    """

    def __init__(
        self,
        speed: float = 1.0,
        start: datetime | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"ScaledClock: speed must be > 0, got {speed}")
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("ScaledClock start must be timezone-aware (e.g. tzinfo=UTC)")
        self.speed = speed
        self._start = start.astimezone(UTC)
        self._monotonic = monotonic
        self._origin = monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current time."""
        with self._lock:
            elapsed = (self._monotonic() - self._origin) * self.speed + self._offset
        return self._start + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> datetime:
        """Jump forward by ``seconds`` (must not be negative); return the new time."""
        if seconds < 0:
            raise ValueError(f"ScaledClock.advance: seconds must be >= 0, got {seconds}")
        with self._lock:
            self._offset += seconds
        return self.now()
