"""Slack gateway: post a message to an incoming webhook, with bounded retries.

Uses slack_sdk's ``WebhookClient`` and its retry handlers (server errors, rate limits
honouring ``Retry-After``, connection errors). The handlers are subclassed only so the
sleep is injectable (tests pass a recorder, nothing waits) and ``Retry-After`` is capped:
a rate limit asking for longer than ``max_retry_after`` fails fast and the record is
retried by Lambda instead of burning the function's timeout.

Exactly-once, as far as Slack allows: an incoming webhook has no idempotency key, so a
request whose answer never came (a read timeout, a connection dropped after the body was
sent) may or may not have posted. Such a failure is *unknown*
(:attr:`SlackSendError.outcome_unknown`) and is never retried here; only failures whose
outcome is known are: an HTTP answer that is not 2xx (Slack says it did not post) and a
connection that failed before the request was sent (urllib's ``URLError``). The timeout
(30 s) is long enough for a merely slow Slack to answer before it, so a slow Slack is an
answered request, not an unknown one.

Webhook URLs are credentials: they are masked in every message this module produces, and
slack_sdk's own logger is pinned at WARNING so its debug lines (which print the URL) never run.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.error import URLError

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

Sleep = Callable[[float], None]

_SDK_LOGGER = logging.getLogger("govbot.slack_sdk")
_SDK_LOGGER.setLevel(logging.WARNING)  # slack_sdk logs full URLs at DEBUG
_URL_RE = re.compile(r"https?://[^\s'\"<>]+")


def mask_url(url: str) -> str:
    """Keep scheme and host, hide the path (the secret part of a webhook URL)."""
    match = re.match(r"^(https?://[^/]+)", url)
    return f"{match.group(1)}/***" if match else "***"


def mask_urls_in(text: str) -> str:
    """Mask every URL inside a free-form message."""
    return _URL_RE.sub(lambda m: mask_url(m.group(0)), text)


SLACK_TIMEOUT_SECONDS = 30


class SlackSendError(RuntimeError):
    """Slack did not accept the message after the allowed attempts (URL masked).

    ``outcome_unknown``: the request may have been posted (no answer came back); a retry
    could post it twice, so the caller must say so if it posts again.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        attempts: int,
        retryable: bool,
        outcome_unknown: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.attempts = attempts
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown


@dataclass
class _AttemptCounter:
    retries: int = 0


class _Sleeping:
    """Mixin: do the handler's wait through an injected sleep and count the retry."""

    sleep: Sleep
    counter: _AttemptCounter

    def _wait(self, state: RetryState, seconds: float) -> None:
        state.next_attempt_requested = True
        self.sleep(seconds)
        self.counter.retries += 1
        state.increment_current_attempt()


class _BackoffSleeping(_Sleeping):
    """Mixin: wait the handler's exponential backoff (5xx and connection errors)."""

    interval_calculator: Any

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._wait(state, self.interval_calculator.calculate_sleep_duration(state.current_attempt))


class _ServerError(_BackoffSleeping, ServerErrorRetryHandler):
    """5xx answers, retried with backoff."""


class _Connection(_BackoffSleeping, ConnectionErrorRetryHandler):
    """Connection failures, retried with backoff."""


class _RateLimit(_Sleeping, RateLimitErrorRetryHandler):
    max_retry_after: float

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after_seconds(response.headers) <= self.max_retry_after

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        headers = response.headers if response is not None else {}
        self._wait(state, retry_after_seconds(headers))


def retry_after_seconds(headers: dict[str, Any]) -> float:
    """The ``Retry-After`` delay in seconds (1 when absent or unreadable)."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


@dataclass
class RetryPolicy:
    """Bounds on in-process retries (Lambda's own retries come on top)."""

    server_error_retries: int = 2
    rate_limit_retries: int = 2
    connection_retries: int = 2
    backoff_factor: float = 0.5
    max_retry_after: float = 10.0
    sleep: Sleep = field(default=time.sleep)


@dataclass(frozen=True)
class SendOutcome:
    """A message Slack accepted, and how many HTTP attempts it took."""

    attempts: int
    status: int


class SlackWebhookGateway:
    """Posts JSON bodies to Slack incoming webhooks.

    Examples
    --------
    >>> gw = SlackWebhookGateway(RetryPolicy(sleep=lambda s: None))  # doctest: +SKIP
    >>> gw.post(url, {"text": "hi", "blocks": [...]})  # doctest: +SKIP
    """

    def __init__(
        self, policy: RetryPolicy | None = None, *, timeout: int = SLACK_TIMEOUT_SECONDS
    ) -> None:
        if timeout < 1:
            raise ValueError(f"timeout must be >= 1 second, got {timeout}")
        self.policy = policy or RetryPolicy()
        self.timeout = timeout

    def worst_case_seconds(self) -> float:
        """The longest one :meth:`post` can take (every attempt waits its full timeout).

        slack_sdk's handlers share one attempt counter, so the attempts are 1 + the largest
        retry count; the waits between them are at most the larger of the backoff and the
        ``Retry-After`` cap.
        """
        p = self.policy
        retries = max(p.server_error_retries, p.rate_limit_retries, p.connection_retries)
        backoff = max(p.backoff_factor * 2**retries, p.max_retry_after)
        return (retries + 1) * self.timeout + retries * backoff

    def _handlers(self, counter: _AttemptCounter) -> list[RetryHandler]:
        p = self.policy
        calc = BackoffRetryIntervalCalculator(backoff_factor=p.backoff_factor)
        server = _ServerError(max_retry_count=p.server_error_retries, interval_calculator=calc)
        # Only a connection that failed before the request was sent (urllib's URLError):
        # a reset or a disconnect after it may follow a posted message (outcome unknown).
        conn = _Connection(
            max_retry_count=p.connection_retries, interval_calculator=calc, error_types=[URLError]
        )
        rate = _RateLimit(max_retry_count=p.rate_limit_retries)
        rate.max_retry_after = p.max_retry_after
        handlers: list[Any] = [conn, rate, server]
        for handler in handlers:
            handler.sleep, handler.counter = p.sleep, counter
        return handlers

    def post(self, url: str, body: dict[str, Any]) -> SendOutcome:
        """Send ``body`` to the webhook ``url``; raise :class:`SlackSendError` on failure."""
        counter = _AttemptCounter()
        client = WebhookClient(
            url=url,
            timeout=self.timeout,
            logger=_SDK_LOGGER,
            retry_handlers=self._handlers(counter),
        )
        where = mask_url(url)
        try:
            response = client.send_dict(body)
        except URLError as exc:  # not sent (connect failed), after the retries ran out
            attempts = counter.retries + 1
            raise SlackSendError(
                f"Slack webhook {where} unreachable after {attempts} attempt(s): "
                f"{type(exc).__name__}: {mask_urls_in(str(exc))}",
                status=None,
                attempts=attempts,
                retryable=True,
            ) from None
        except Exception as exc:  # sent, but no answer: Slack may have posted it
            attempts = counter.retries + 1
            raise SlackSendError(
                f"Slack webhook {where} gave no answer (timeout {self.timeout}s, attempt "
                f"{attempts}): {type(exc).__name__}: {mask_urls_in(str(exc))}; it may have "
                "posted the message",
                status=None,
                attempts=attempts,
                retryable=True,
                outcome_unknown=True,
            ) from None
        attempts = counter.retries + 1
        if 200 <= response.status_code < 300:
            return SendOutcome(attempts=attempts, status=response.status_code)
        retryable = response.status_code in (429, 500, 502, 503, 504)
        raise SlackSendError(
            f"Slack webhook {where} answered HTTP {response.status_code} "
            f"({mask_urls_in(str(response.body))[:200]}) after {attempts} attempt(s)",
            status=response.status_code,
            attempts=attempts,
            retryable=retryable,
        )
