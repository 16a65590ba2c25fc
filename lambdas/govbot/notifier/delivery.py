"""Deliver outbox items from the ledger's DynamoDB stream to Slack, losing none.

Per item: claim it in the ledger under a lease (skip if already delivered/folded),
render, route by kind and severity, pass storm control, post each route at most once (or
once more, marked, after an unknown outcome: :mod:`govbot.notifier.posting`), and record
status, attempts and ``possible_duplicates``. An attempt that fails marks the item
``failed`` and raises, so Lambda retries the record (partial batch response); after
``max_attempts`` posts the item is ``dead_letter`` and the record goes on raising until
Lambda hands it to the on-failure DLQ, from which
:func:`govbot.notifier.replay.replay_dead_letters` re-delivers it. A notifier that dies
holding a lease leaves the item ``sending``: once the lease expires, the scheduled
:func:`govbot.notifier.replay.redeliver_stalled` (and any replay) picks it up.

An item that can never be rendered (an unknown ``message_kind``, or a payload whose
details do not fit its kind's model) is marked ``rejected`` with the precise reason in
``last_error`` and is not retried: the rest of the batch goes on, and the record is not
reported as failed (retrying it could only fail the same way).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from govbot.batch import stream_batch
from govbot.clock import utcnow
from govbot.gateways.slack import SlackSendError, mask_urls_in
from govbot.ledger.codec import outbox_from_stream_image
from govbot.ledger.keys import outbox_pk
from govbot.ledger.records import OutboxItem, OutboxStatus
from govbot.notifier.digest import flush_digests
from govbot.notifier.model import DeliveryResult, PayloadError, parse_payload
from govbot.notifier.posting import Progress, RoutePoster, Unconfirmed, persist
from govbot.notifier.render import render
from govbot.notifier.sinks import MessageSink
from govbot.notifier.storm import WindowStore, digest_id_for, window_start
from govbot.policy.sections import Notifications, Route

logger = logging.getLogger(__name__)
T = TypeVar("T")
OUTBOX_PREFIX = outbox_pk("-")[:-1]  # "OUTBOX#": the partition key of an outbox item
FINAL_STATUSES: tuple[OutboxStatus, ...] = ("delivered", "folded", "rejected")


class OutboxLedger(Protocol):
    """The part of :class:`govbot.ledger.gateway.Ledger` the notifier uses."""

    def get_outbox(self, outbox_id: str) -> OutboxItem | None: ...

    def claim_outbox_for_delivery(self, outbox_id: str, *, lease_seconds: int = ...) -> bool: ...

    def mark_outbox(
        self,
        outbox_id: str,
        *,
        status: OutboxStatus,
        attempts: int,
        error: str | None = None,
        digest_id: str | None = None,
        possible_duplicates: int | None = None,
    ) -> None: ...


class DeliveryFailed(RuntimeError):
    """Raised so Lambda retries the stream record (the ledger already says why)."""


@dataclass
class NotifierDeps:
    """Everything the notifier logic needs, injected by the handler (or a test)."""

    ledger: OutboxLedger
    notifications: Notifications
    sink: MessageSink
    windows: WindowStore
    clock: Callable[[], datetime] = utcnow
    max_attempts: int = 5  # keep <= the event source mapping's retry attempts + 1
    exemption_days: int = 7
    # Long enough for every route's post to get its answer (see RoutePoster's time check).
    lease_seconds: int = 300
    digest_lease_seconds: int = 60
    results: list[DeliveryResult] = field(default_factory=list)  # per-invocation trace
    sleep: Callable[[float], None] = time.sleep  # between ledger retries (tests: no wait)
    ledger_attempts: int = 6  # tries of a ledger write after Slack accepted a post
    read_attempts: int = 3  # tries of a ledger call before the post
    retry_base_seconds: float = 0.05  # first wait between ledger tries (doubling, 1 s cap)
    time_left: Callable[[], float] | None = None  # seconds left in the invocation
    # (outbox id, route) this process posted: survives a failed receipt write while warm.
    posted_here: set[tuple[str, str]] = field(default_factory=set)


def _error_text(exc: BaseException) -> str:
    return mask_urls_in(f"{type(exc).__name__}: {exc}")[:1000]


def deliver_item(item: OutboxItem, deps: NotifierDeps, *, replay: bool = False) -> DeliveryResult:
    """Deliver one outbox item (already read from the stream or the ledger).

    Posts each route at most once, or once more marked "possible duplicate" after a post
    whose outcome is unknown (see :mod:`govbot.notifier.posting`).

    Raises
    ------
    DeliveryFailed
        When the item is not delivered yet (failed, dead-lettered, or leased elsewhere).
    """
    oid = item.outbox_id
    current = _retried(lambda: deps.ledger.get_outbox(oid), deps) or item
    if current.status in FINAL_STATUSES:
        return DeliveryResult(oid, current.status)  # a redelivered stream record
    if current.status == "dead_letter" and not replay:
        raise DeliveryFailed(f"outbox {oid} is dead-lettered: {current.last_error}")
    claimed_at = deps.clock()
    if not _retried(
        lambda: deps.ledger.claim_outbox_for_delivery(oid, lease_seconds=deps.lease_seconds), deps
    ):
        fresh = deps.ledger.get_outbox(oid)
        if fresh is not None and fresh.status in FINAL_STATUSES:
            return DeliveryResult(oid, fresh.status)
        raise DeliveryFailed(
            f"outbox {oid} is held by another delivery (status "
            f"{fresh.status if fresh else 'gone'}); retry later"
        )
    poster = RoutePoster(
        outbox_id=oid,
        windows=deps.windows,
        sink=deps.sink,
        clock=_Deadlines(deps, claimed_at),
        sleep=deps.sleep,
        ledger_attempts=deps.ledger_attempts,
        read_attempts=deps.read_attempts,
        retry_base=deps.retry_base_seconds,
        posted_here=deps.posted_here,
    )
    try:
        result = _send_everywhere(current, deps, poster)
    except PayloadError as exc:
        return _reject(oid, deps, current.delivery_attempts + 1, str(exc))
    except Exception as exc:
        raise _release(current, deps, exc, poster.progress, replay=replay) from None
    dups = max(current.possible_duplicates, len(poster.progress.duplicates))
    try:
        persist(
            lambda: deps.ledger.mark_outbox(
                oid,
                status=result.status,  # type: ignore[arg-type]
                attempts=current.delivery_attempts + 1,
                error=result.error,
                digest_id=result.digest_ids[0] if result.digest_ids else None,
                possible_duplicates=dups,
            ),
            attempts=deps.ledger_attempts,
            sleep=deps.sleep,
            base_seconds=deps.retry_base_seconds,
        )
    except Exception as exc:
        # Every route holds its receipt: once the lease expires, the next attempt marks
        # the item delivered without posting anything.
        raise DeliveryFailed(f"outbox {oid} posted; its status not recorded yet: {exc}") from None
    if dups:
        logger.warning("outbox %s: %d route(s) may hold a marked duplicate", oid, dups)
    return result


def _retried(call: Callable[[], T], deps: NotifierDeps) -> T:
    """A ledger call before any post, retried a little (a failure only delays delivery)."""
    return persist(
        call, attempts=deps.read_attempts, sleep=deps.sleep, base_seconds=deps.retry_base_seconds
    )


@dataclass
class _Deadlines:
    """The item's lease and the invocation, as seconds left (for :class:`RoutePoster`)."""

    deps: NotifierDeps
    claimed_at: datetime

    def lease_left(self) -> float:
        elapsed = (self.deps.clock() - self.claimed_at).total_seconds()
        return self.deps.lease_seconds - elapsed

    def invocation_left(self) -> float:
        return self.deps.time_left() if self.deps.time_left else float("inf")


def _release(
    item: OutboxItem,
    deps: NotifierDeps,
    exc: BaseException,
    progress: Progress,
    *,
    replay: bool,
) -> DeliveryFailed:
    """Record why this attempt stopped and release the lease; the error to raise.

    Only an attempt that reached Slack counts towards ``max_attempts``: a ledger error or
    a lease too short to wait for Slack's answer leaves the count as it was.
    """
    oid = item.outbox_id
    attempts = item.delivery_attempts + (1 if progress.posted else 0)
    permanent = isinstance(exc, SlackSendError) and not exc.retryable
    final = isinstance(exc, Unconfirmed) or permanent or (progress.posted and replay)
    status: OutboxStatus = "dead_letter" if final or attempts >= deps.max_attempts else "failed"
    error = _error_text(exc)
    if isinstance(exc, SlackSendError) and exc.outcome_unknown:
        error += " (the next attempt re-posts it once, marked as a possible duplicate)"
    try:
        deps.ledger.mark_outbox(
            oid,
            status=status,
            attempts=attempts,
            error=error,
            possible_duplicates=max(item.possible_duplicates, len(progress.duplicates)),
        )
    except Exception as mark_error:  # the lease expires; the stale-item sweep retries it
        logger.warning("outbox %s: attempt not recorded: %s", oid, _error_text(mark_error))
    logger.warning("outbox %s not delivered (%s, attempt %d): %s", oid, status, attempts, error)
    return DeliveryFailed(f"outbox {oid} {status} after attempt {attempts}: {error}")


def _reject(outbox_id: str, deps: NotifierDeps, attempts: int, reason: str) -> DeliveryResult:
    """Record an item that cannot be rendered as ``rejected`` (not retried), with why."""
    error = mask_urls_in(reason)[:1000]
    deps.ledger.mark_outbox(outbox_id, status="rejected", attempts=attempts, error=error)
    logger.warning("outbox %s rejected: %s", outbox_id, error)
    return DeliveryResult(outbox_id, "rejected", error=error)


def _undecodable(new_image: dict[str, Any], exc: Exception, deps: NotifierDeps) -> DeliveryResult:
    """A stream image that is not a valid outbox item (e.g. an unknown ``message_kind``):
    rejected on the ledger by its key, or raised when not even the key is readable."""
    pk = str((new_image.get("pk") or {}).get("S") or "")
    if not pk.startswith(OUTBOX_PREFIX) or len(pk) == len(OUTBOX_PREFIX):
        raise DeliveryFailed(f"stream image with pk {pk!r} is not an outbox item: {exc}") from exc
    outbox_id = pk[len(OUTBOX_PREFIX) :]
    kind = (new_image.get("message_kind") or {}).get("S")
    reason = f"outbox {outbox_id}: stored item (message_kind {kind!r}) is invalid: " + (
        _validation_text(exc) if isinstance(exc, ValidationError) else str(exc)
    )
    attempts = int((new_image.get("delivery_attempts") or {}).get("N") or 0) + 1
    return _reject(outbox_id, deps, attempts, reason)


def _validation_text(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'item'}: {err['msg']}"
        for err in exc.errors()[:5]
    )


def _send_everywhere(item: OutboxItem, deps: NotifierDeps, poster: RoutePoster) -> DeliveryResult:
    """Render once, then for each matching route: skip if done, storm-check, post."""
    payload = parse_payload(item.payload, outbox_id=item.outbox_id)
    message = render(payload, item.outbox_id, exemption_days=deps.exemption_days)
    routes = deps.notifications.routes_for(item.message_kind, item.severity)
    if not routes:
        note = f"no route accepts kind {item.message_kind} at severity {item.severity}"
        return DeliveryResult(item.outbox_id, "delivered", error=note)
    storm = deps.notifications.storm
    start = window_start(deps.clock(), storm.window_seconds)
    progress = poster.progress
    failures: list[BaseException] = []
    for route in routes:

        def take_slot(route: Route = route) -> bool:
            if _retried(
                lambda: deps.windows.take_slot(
                    route.name, start, storm.window_seconds, storm.max_messages
                ),
                deps,
            ):
                return True
            deps.windows.fold(
                route.name,
                route.webhook,
                start,
                storm.window_seconds,
                outbox_id=item.outbox_id,
                kind=item.message_kind,
                image=payload.image_name or payload.image_arn or "",
            )
            progress.digests.append(digest_id_for(route.name, start))
            return False

        def give_back_slot(route: Route = route) -> None:
            deps.windows.give_back_slot(route.name, start)

        error = poster.post(
            route, message.body(), take_slot=take_slot, give_back_slot=give_back_slot
        )
        if error is not None:
            failures.append(error)
    if failures:
        # Worst first: an unconfirmed re-post, then an unknown outcome, then the rest.
        failures.sort(key=_severity_of)
        raise failures[0]
    status = "delivered" if progress.sent else "folded"
    return DeliveryResult(
        item.outbox_id,
        status,
        routes=tuple(progress.sent + progress.folded),
        digest_ids=tuple(progress.digests),
        extra={"possible_duplicates": sorted(progress.duplicates)},
    )


def _severity_of(error: BaseException) -> int:
    if isinstance(error, Unconfirmed):
        return 0
    if isinstance(error, SlackSendError):
        return 1 if error.outcome_unknown else 2
    return 3


def _record_handler(deps: NotifierDeps) -> Callable[[dict[str, Any]], DeliveryResult]:
    def handle(record: dict[str, Any]) -> DeliveryResult:
        new_image = (record.get("dynamodb") or {}).get("NewImage")
        if not new_image:
            raise DeliveryFailed(f"stream record {record.get('eventID')} has no NewImage")
        try:
            item = outbox_from_stream_image(new_image)
        except (ValidationError, ValueError) as exc:
            result = _undecodable(new_image, exc, deps)
            deps.results.append(result)
            return result
        result = deliver_item(item, deps)
        deps.results.append(result)
        return result

    return handle


def deliver_stream_batch(event: dict[str, Any], deps: NotifierDeps) -> dict[str, Any]:
    """Deliver a DynamoDB stream batch of outbox INSERTs; return the partial batch response.

    Also sends the digests of storm windows that have ended (a cheap index query).

    Examples
    --------
    >>> deliver_stream_batch({"Records": []}, deps)  # doctest: +SKIP
    {'batchItemFailures': []}
    """
    response = stream_batch(event, _record_handler(deps))
    try:
        flush_digests(
            deps.windows,
            deps.notifications,
            deps.sink,
            now=deps.clock(),
            lease_seconds=deps.digest_lease_seconds,
        )
    except Exception as exc:  # a digest is retried by the next flush; items are not affected
        logger.warning("digest flush failed: %s", _error_text(exc))
    return response
