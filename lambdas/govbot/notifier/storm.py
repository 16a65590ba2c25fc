"""Storm control: at most ``max_messages`` per route per window, the rest folded into one
digest per window.

Pure part here (window math, the digest record); the state lives in the ledger table
(the ledger's storm methods, ``govbot.ledger._storm``) so it survives across Lambda
invocations and concurrent shards: one counter item per route and window, moved by
conditional updates.

Bound: a route sends at most ``max_messages + 1`` messages per window (the +1 is the
digest), so 200 violations in one minute with ``max_messages=20, window_seconds=60``
produce at most 42 Slack messages (the minute may straddle two windows), usually 21.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from govbot.ledger.records.storm import DigestWindow, digest_id_for

__all__ = ["DigestWindow", "WindowStore", "digest_id_for", "epoch_iso", "window_start"]

DIGEST_IMAGE_LIMIT = 15  # images listed by name in a digest; the rest are counted


def window_start(now: datetime, window_seconds: int) -> int:
    """Epoch second at which the window containing ``now`` starts (windows are aligned)."""
    if window_seconds < 1:
        raise ValueError(f"window_seconds must be >= 1, got {window_seconds}")
    epoch = int(now.timestamp())
    return epoch - epoch % window_seconds


def epoch_iso(epoch: int) -> str:
    """``2026-11-27T16:00:00Z`` for an epoch second."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WindowStore(Protocol):
    """Where storm state lives (the ledger table in AWS, memory in unit tests)."""

    def take_slot(self, route: str, start: int, window_seconds: int, limit: int) -> bool:
        """Count one message on ``route`` in the window; False when the window is full."""
        ...

    def give_back_slot(self, route: str, start: int) -> None:
        """Undo :meth:`take_slot` (the send failed, so it did not count)."""
        ...

    def fold(
        self,
        route: str,
        webhook: str,
        start: int,
        window_seconds: int,
        *,
        outbox_id: str,
        kind: str,
        image: str,
    ) -> bool:
        """Count ``outbox_id`` into the window's digest once; False if already counted."""
        ...

    def route_done(self, outbox_id: str, route: str) -> str | None:
        """The receipt of this item on ``route``: ``delivered``/``redelivered``/``folded``,
        ``posting``/``reposting`` (a post's outcome is unknown), or None."""
        ...

    def mark_route_done(self, outbox_id: str, route: str, outcome: str) -> None:
        """Remember that this item went to ``route`` (so a retry never sends it twice):
        ``delivered``, ``redelivered`` (by the marked re-post) or ``folded``."""
        ...

    def begin_post(self, outbox_id: str, route: str, *, repost: bool) -> bool:
        """Mark a post as under way (``posting``; ``reposting`` for the marked re-post
        after an unknown outcome); False when another delivery changed the marker."""
        ...

    def abandon_post(self, outbox_id: str, route: str, *, repost: bool) -> None:
        """Undo :meth:`begin_post` after a post Slack refused (nothing was posted)."""
        ...

    def due_digests(self, now: datetime) -> list[DigestWindow]:
        """Windows that ended before ``now`` with folded items and no digest sent yet."""
        ...

    def claim_digest(
        self, window: DigestWindow, now: datetime, lease_seconds: int
    ) -> DigestWindow | None:
        """Take the right to send this digest (one sender, a lease against crashes).

        Returns the window as it stands now (fresh counts), or None when someone else
        holds it or it was already sent.
        """
        ...

    def finish_digest(self, window: DigestWindow, *, sent: bool) -> None:
        """Record the digest as sent, or release the claim so a later flush retries."""
        ...
