"""A settable clock: the ``clock`` port every capability takes (``() -> datetime``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 27, 16, 0, 0, tzinfo=UTC)


class FakeClock:
    """Every read returns ``now``; a test moves it with :meth:`advance` or by setting it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move forward by ``seconds`` (and any ``timedelta`` keywords); the new time."""
        self.now += timedelta(seconds=seconds, **delta)
        return self.now


def _is_a_clock(fake: FakeClock) -> Callable[[], datetime]:
    return fake  # mypy proves FakeClock is what EnforcerDeps/ReplicatorDeps call ``clock``
