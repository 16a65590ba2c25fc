"""What an unauthenticated request may cost: a counter, a per-source budget, a sampled note.

The actions endpoint is a public Function URL. Anyone can send it requests; only Slack
can sign them. A request that fails the signature check (or cannot even be read) is
answered at once and costs no ledger write of its own: it is counted here, and at most
one small record per ``sample_seconds`` (per warm container) notes the count in the
ledger with a short TTL. A source that keeps sending refused requests is answered 429 (no
sample, no log line) until its window ends; its validly signed requests still pass.

The state is per container (a Lambda process serves one request at a time, and the
counts are a cost bound, not an audit trail): no I/O, no lock held while computing.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from govbot.ledger.keys import format_ts, stable_id

logger = logging.getLogger(__name__)
SOURCE_WINDOW_SECONDS = 60
SOURCE_BUDGET = 30  # refused requests per source and window before 429
MAX_SOURCES = 10_000  # sources remembered at once (the oldest windows go first)
MAX_SAMPLED_BODY = 300  # characters of an unauthenticated request kept in its sample


class RefusalLog(Protocol):
    """Where the sampled note of unauthenticated refusals goes (a short-TTL ledger)."""

    def record_rejected(
        self,
        *,
        reason: str,
        raw: str,
        event_id: str | None = None,
        received_at: datetime,
        event_name: str | None = None,
        event_source: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
    ) -> str: ...


@dataclass
class _Window:
    start: float
    refused: int = 0


@dataclass
class RefusalGuard:
    """Counts refused requests per source; says when to answer 429 and when to sample."""

    budget: int = SOURCE_BUDGET
    window_seconds: int = SOURCE_WINDOW_SECONDS
    sample_seconds: int = 60
    refused_total: int = 0
    throttled_total: int = 0
    _sources: dict[str, _Window] = field(default_factory=dict)
    _unsampled: int = 0
    _last_sample: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def over_budget(self, source: str, now: datetime) -> bool:
        """True when ``source`` used up its refusals for this window (answer 429, counted)."""
        at = now.timestamp()
        with self._lock:
            window = self._sources.get(source)
            if window is None or at - window.start >= self.window_seconds:
                return False
            if window.refused < self.budget:
                return False
            self.throttled_total += 1
            self._unsampled += 1
            return True

    def refused(self, source: str, now: datetime) -> int | None:
        """Count one refused request; the count to sample now (a record is due), else None."""
        at = now.timestamp()
        with self._lock:
            window = self._sources.get(source)
            if window is None or at - window.start >= self.window_seconds:
                if window is None and len(self._sources) >= MAX_SOURCES:
                    oldest = min(self._sources, key=lambda s: self._sources[s].start)
                    del self._sources[oldest]
                window = self._sources[source] = _Window(start=at)
            window.refused += 1
            self.refused_total += 1
            self._unsampled += 1
            if self._last_sample is not None and at - self._last_sample < self.sample_seconds:
                return None
            count, self._unsampled, self._last_sample = self._unsampled, 0, at
            return count


def source_of(event: Any) -> str:
    """The caller's address as the Function URL saw it (``requestContext.http.sourceIp``)."""
    context = event.get("requestContext") if isinstance(event, dict) else None
    http = context.get("http") if isinstance(context, dict) else None
    ip = http.get("sourceIp") if isinstance(http, dict) else None
    return str(ip)[:64] if ip else "unknown"


def note_refusal(
    status: int,
    reason: str,
    event: Any,
    source: str,
    *,
    guard: RefusalGuard,
    log: RefusalLog | None,
    now: datetime,
) -> None:
    """Count an unauthenticated refusal; when a sample is due, write its small note."""
    sample = guard.refused(source, now)
    if sample is None or log is None:
        return
    body = event.get("body") if isinstance(event, dict) else None
    note = {
        "source_ip": source,
        "status": status,
        # The time makes each sample its own record (rejections are keyed by their bytes).
        "at": format_ts(now),
        "body": str(body or "")[:MAX_SAMPLED_BODY],
    }
    try:
        log.record_rejected(
            reason=f"{sample} unauthenticated Slack action request(s) refused since the last "
            f"sample; this one: {status} {reason}"[:500],
            raw=json.dumps(note),
            # One record per sample (never merged with an earlier one of the same bytes).
            event_id="slack-refused-" + stable_id(source, format_ts(now)),
            received_at=now,
            event_name="SlackActionRefused",
            event_source="slack.actions",
        )
    except Exception as exc:  # the answer never waits on the sample
        logger.warning("sampled refusal not recorded: %s", exc)
