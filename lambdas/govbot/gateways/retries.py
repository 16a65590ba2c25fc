"""Client-side retries sized for sustained throttling: botocore's conditions, no retry quota.

botocore's ``standard`` and ``adaptive`` modes share a per-client retry quota (500 tokens,
5 per retried error, refilled slowly by successes): under a throttling storm it runs dry
and every later call fails on its first error. govbot's AppStream clients keep botocore's
own judgement of *what* is retryable (throttling codes, 5xx, connection errors and
timeouts) but replace the handler that decides *whether* to retry: bounded attempts per
call, exponential backoff with full jitter, and no shared quota. What still fails after
that is a transient error the caller hands back to SQS (see ``govbot.enforcer``), whose
redelivery is the outer, slower retry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from botocore.retries.standard import RetryEventAdapter, StandardRetryConditions


@dataclass(frozen=True)
class RetrySettings:
    """Attempts per call and the backoff window (seconds) of each retry.

    The ``n``-th retry waits a uniform random time in ``[0, min(cap, base * 2**(n-1))]``
    ("full jitter"), so clients throttled together do not retry together.
    """

    max_attempts: int = 6
    base_seconds: float = 0.2
    cap_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError(
                f"backoff must be >= 0 seconds, got base {self.base_seconds}, "
                f"cap {self.cap_seconds}"
            )

    def delay(self, retry_number: int, rng: random.Random) -> float:
        """Seconds to wait before retry ``retry_number`` (1 = the first retry)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (retry_number - 1))
        return rng.uniform(0.0, ceiling)


class QuotaFreeRetryHandler:
    """A ``needs-retry`` handler: botocore's retry conditions, full-jitter backoff, no quota."""

    def __init__(self, settings: RetrySettings, rng: random.Random | None = None) -> None:
        self.settings = settings
        self._conditions = StandardRetryConditions(max_attempts=settings.max_attempts)
        self._adapter = RetryEventAdapter()
        self._rng = rng or random.Random()
        self.retries = 0  # how many retries this client made (for tests and metrics)

    def needs_retry(self, **kwargs: Any) -> float | None:
        """The delay before the next attempt, or None to give up (botocore's contract)."""
        context = self._adapter.create_retry_context(**kwargs)
        delay: float | None = None
        if self._conditions.is_retryable(context):
            self.retries += 1
            delay = self.settings.delay(context.attempt_number, self._rng)
        self._adapter.adapt_retry_response_from_context(context)
        return delay


def install_retries(client: Any, settings: RetrySettings) -> QuotaFreeRetryHandler:
    """Replace ``client``'s retry handler (and its quota) with a :class:`QuotaFreeRetryHandler`.

    ``client`` must be created in botocore's ``standard`` (or ``adaptive``) mode, whose
    handler is registered under ``retry-config-<service>``; that one is removed.
    """
    service = client.meta.service_model.service_id.hyphenize()
    event = f"needs-retry.{service}"
    unique_id = f"retry-config-{service}"
    client.meta.events.unregister(event, unique_id=unique_id)
    handler = QuotaFreeRetryHandler(settings)
    client.meta.events.register(event, handler.needs_retry, unique_id=unique_id)
    return handler
