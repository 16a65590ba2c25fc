"""In-memory :class:`~govbot.notifier.storm.WindowStore` for tests and the benchmark (not shipped).

It keeps the semantics of the ledger's storm methods (``govbot.ledger._storm``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

from govbot.notifier.storm import DigestWindow, WindowStore


@dataclass
class _Window:
    route: str
    webhook: str = ""
    start: int = 0
    window_seconds: int = 60
    sent: int = 0
    folded: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    images: set[str] = field(default_factory=set)
    pending: bool = False
    lease_until: float = 0.0

    def view(self) -> DigestWindow:
        return DigestWindow(
            route=self.route,
            webhook=self.webhook,
            start=self.start,
            window_seconds=self.window_seconds,
            folded=self.folded,
            sent=self.sent,
            kinds=dict(self.kinds),
            images=tuple(sorted(self.images)),
        )


class InMemoryWindowStore:
    """Same semantics as the ledger's storm methods (``govbot.ledger._storm``), in a dict."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.windows: dict[tuple[str, int], _Window] = {}
        self.receipts: dict[tuple[str, str], str] = {}

    def _get(self, route: str, start: int, window_seconds: int = 60) -> _Window:
        key = (route, start)
        if key not in self.windows:
            self.windows[key] = _Window(route=route, start=start, window_seconds=window_seconds)
        return self.windows[key]

    def take_slot(self, route: str, start: int, window_seconds: int, limit: int) -> bool:
        """Count one message while ``sent < limit``."""
        with self._lock:
            window = self._get(route, start, window_seconds)
            if window.sent >= limit:
                return False
            window.sent += 1
            return True

    def give_back_slot(self, route: str, start: int) -> None:
        """Undo a slot."""
        with self._lock:
            window = self._get(route, start)
            window.sent = max(0, window.sent - 1)

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
        """Count the item into the digest once."""
        with self._lock:
            if (outbox_id, route) in self.receipts:
                return False
            self.receipts[(outbox_id, route)] = "folded"
            window = self._get(route, start, window_seconds)
            window.webhook, window.pending = webhook, True
            window.folded += 1
            window.kinds[kind] = window.kinds.get(kind, 0) + 1
            window.images.add(image or "unknown image")
            return True

    def route_done(self, outbox_id: str, route: str) -> str | None:
        """The receipt, if any."""
        with self._lock:
            return self.receipts.get((outbox_id, route))

    def mark_route_done(self, outbox_id: str, route: str, outcome: str) -> None:
        """Write the receipt."""
        with self._lock:
            self.receipts[(outbox_id, route)] = outcome

    def begin_post(self, outbox_id: str, route: str, *, repost: bool) -> bool:
        """``posting`` where nothing is, or ``posting`` -> ``reposting``."""
        with self._lock:
            current = self.receipts.get((outbox_id, route))
            if current != ("posting" if repost else None):
                return False
            self.receipts[(outbox_id, route)] = "reposting" if repost else "posting"
            return True

    def abandon_post(self, outbox_id: str, route: str, *, repost: bool) -> None:
        """Undo a marker Slack's refusal left."""
        with self._lock:
            key = (outbox_id, route)
            if self.receipts.get(key) != ("reposting" if repost else "posting"):
                return
            if repost:
                self.receipts[key] = "posting"
            else:
                del self.receipts[key]

    def due_digests(self, now: datetime) -> list[DigestWindow]:
        """Owed digests whose window ended."""
        with self._lock:
            return [
                w.view()
                for w in self.windows.values()
                if w.pending and w.start + w.window_seconds <= now.timestamp()
            ]

    def claim_digest(
        self, window: DigestWindow, now: datetime, lease_seconds: int
    ) -> DigestWindow | None:
        """Lease the digest while it is owed."""
        with self._lock:
            w = self.windows.get((window.route, window.start))
            if w is None or not w.pending or w.lease_until >= now.timestamp():
                return None
            w.lease_until = now.timestamp() + lease_seconds
            return replace(w.view())

    def finish_digest(self, window: DigestWindow, *, sent: bool) -> None:
        """Sent: no longer owed. Otherwise: release the lease."""
        with self._lock:
            w = self.windows[(window.route, window.start)]
            w.lease_until = 0.0
            if sent:
                w.pending = False


def _is_a_window_store(fake: InMemoryWindowStore) -> WindowStore:
    return fake  # mypy proves the fake implements the port (never called)
