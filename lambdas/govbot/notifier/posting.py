"""Posting one rendered message to its routes, at most one duplicate per route.

Slack's incoming webhooks have no idempotency key, so "exactly once" is built from the
ledger's route receipts (``govbot.ledger._storm``) around each HTTP request:

1. before the request a marker ``posting`` is written; an answer (2xx) turns it into the
   receipt ``delivered``; a refusal Slack answered (4xx/5xx, or no connection at all)
   removes it, so the next attempt posts plainly;
2. a marker ``posting`` found by a later attempt means that post's outcome is unknown
   (no answer came back, or the notifier died mid-post): the message is posted once more,
   marked "possible duplicate" in the message itself, under the marker ``reposting``,
   and ends as ``redelivered``; the outbox item counts it (``possible_duplicates``);
3. a marker ``reposting`` found later means even the marked re-post's outcome is
   unknown: it is never posted a third time (:class:`Unconfirmed`);
4. once Slack accepted a post, the receipt write is retried (``persist``) and the post is
   remembered in the process, so a ledger failure after a post never causes a second one.

A post only starts when the item's lease and the invocation both outlive the longest the
sink may take to answer (:class:`NoTimeToPost` otherwise): a lease expiring mid-post would
let another notifier re-post.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from govbot.gateways.slack import SlackSendError
from govbot.ledger.errors import LedgerError
from govbot.notifier.sinks import MessageSink
from govbot.notifier.storm import WindowStore
from govbot.policy.sections import Route

logger = logging.getLogger(__name__)
T = TypeVar("T")

DONE_RECEIPTS = frozenset({"delivered", "redelivered", "folded"})
DUPLICATE_RECEIPTS = frozenset({"redelivered", "reposting"})
POST_MARGIN_SECONDS = 5.0
POSTED_MEMO_LIMIT = 10_000
DUPLICATE_NOTE = (
    ":warning: *Possible duplicate.* An earlier post of this message got no answer from "
    "Slack (or the notifier stopped mid-post), so it may already be in this channel. "
    "govbot posts such a message at most once more and records it in the ledger."
)
# Errors a retry cannot fix (programming or contract errors): raised at once.
_NOT_TRANSIENT = (LedgerError, ValueError, TypeError, KeyError, AttributeError)


class NoTimeToPost(RuntimeError):
    """The lease or the invocation would end before Slack's answer could come back."""


class Unconfirmed(RuntimeError):
    """A marked re-post's outcome is unknown too: not posted again (at most one duplicate)."""


class PostClock(Protocol):
    """Seconds left on the item's lease and in the invocation."""

    def lease_left(self) -> float: ...
    def invocation_left(self) -> float: ...


@dataclass
class Progress:
    """What one delivery attempt did so far (read by the caller even when it raises)."""

    sent: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    duplicates: set[str] = field(default_factory=set)  # routes that may hold it twice
    posted: bool = False  # a request reached Slack (answered or not)


def persist(
    call: Callable[[], T],
    *,
    attempts: int,
    sleep: Callable[[float], None],
    base_seconds: float = 0.05,
) -> T:
    """Run a ledger call, retrying transient errors (backoff from ``base_seconds``, doubling,
    capped at 1 s).

    Used where giving up costs more than waiting: the receipt of a post Slack accepted.
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except _NOT_TRANSIENT:
            raise
        except Exception as exc:
            if attempt == attempts:
                raise
            logger.info("ledger call failed (attempt %d/%d): %s", attempt, attempts, exc)
            sleep(min(1.0, base_seconds * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")  # pragma: no cover


def marked_duplicate(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with the possible-duplicate note first (text and blocks)."""
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": DUPLICATE_NOTE}]}
    blocks = [note, *body.get("blocks", [])][:50]  # Slack's limit of 50 blocks
    return {**body, "text": f"[possible duplicate] {body.get('text', '')}", "blocks": blocks}


@dataclass
class RoutePoster:
    """Posts one message to its routes for one delivery attempt (see the module doc)."""

    outbox_id: str
    windows: WindowStore
    sink: MessageSink
    clock: PostClock
    sleep: Callable[[float], None]
    ledger_attempts: int
    read_attempts: int
    retry_base: float
    posted_here: set[tuple[str, str]]
    progress: Progress = field(default_factory=Progress)

    def post(
        self,
        route: Route,
        body: dict[str, Any],
        *,
        take_slot: Callable[[], bool],
        give_back_slot: Callable[[], None],
    ) -> BaseException | None:
        """Post ``body`` to ``route`` unless done; return the error that stopped it, if any.

        ``take_slot()`` counts a first post in the storm window (False: the caller folded
        it into the digest); ``give_back_slot()`` undoes it when nothing was posted.
        """
        oid, name = self.outbox_id, route.name
        receipt = self._retried(lambda: self.windows.route_done(oid, name))
        if receipt in DUPLICATE_RECEIPTS:
            self.progress.duplicates.add(name)
        if receipt not in DONE_RECEIPTS and (oid, name) in self.posted_here:
            # Posted by this process, but the receipt write failed: write it, never re-post.
            receipt = "redelivered" if receipt == "reposting" else "delivered"
            self._receipt(name, receipt)
        if receipt in DONE_RECEIPTS:
            (self.progress.folded if receipt == "folded" else self.progress.sent).append(name)
            return None
        if receipt == "reposting":
            return Unconfirmed(
                f"route {name}: the marked re-post's outcome is unknown too; not posted a "
                "third time (at most one duplicate). Check the channel."
            )
        repost = receipt == "posting"  # the slot was counted by the post of unknown outcome
        if not repost and not take_slot():
            self.progress.folded.append(name)
            return None
        release = (lambda: None) if repost else give_back_slot
        try:
            self._check_time(name)
            if not self._retried(lambda: self.windows.begin_post(oid, name, repost=repost)):
                raise RuntimeError(f"route {name}: another delivery changed its post marker")
        except Exception as exc:  # nothing was posted
            _quietly(release, f"outbox {oid}: slot of {name} not given back")
            return exc
        if repost:
            self.progress.duplicates.add(name)
            body = marked_duplicate(body)
        self.progress.posted = True
        try:
            self.sink.send(route, body)
        except Exception as exc:
            if isinstance(exc, SlackSendError) and exc.outcome_unknown:
                return exc  # the marker stays: the next attempt re-posts, marked
            # Slack refused it, or route config / secret trouble: nothing was posted.
            _quietly(
                lambda: self.windows.abandon_post(oid, name, repost=repost),
                f"outbox {oid}: post marker of {name} kept (the next post is marked)",
            )
            _quietly(release, f"outbox {oid}: slot of {name} not given back")
            return exc
        if len(self.posted_here) >= POSTED_MEMO_LIMIT:
            self.posted_here.pop()  # bounded: an old entry's receipt is long written
        self.posted_here.add((oid, name))
        self._receipt(name, "redelivered" if repost else "delivered")
        self.progress.sent.append(name)
        return None

    def _check_time(self, route: str) -> None:
        need = self.sink.max_post_seconds() + POST_MARGIN_SECONDS
        lease, invocation = self.clock.lease_left(), self.clock.invocation_left()
        if min(lease, invocation) < need:
            raise NoTimeToPost(
                f"route {route}: not posted, {min(lease, invocation):.0f}s left on the "
                f"{'lease' if lease <= invocation else 'invocation'} and Slack may take "
                f"{need:.0f}s to answer; retried later"
            )

    def _retried(self, call: Callable[[], T]) -> T:
        return persist(
            call, attempts=self.read_attempts, sleep=self.sleep, base_seconds=self.retry_base
        )

    def _receipt(self, route: str, outcome: str) -> None:
        persist(
            lambda: self.windows.mark_route_done(self.outbox_id, route, outcome),
            attempts=self.ledger_attempts,
            sleep=self.sleep,
            base_seconds=self.retry_base,
        )


def _quietly(call: Callable[[], None], what: str) -> None:
    """Best-effort bookkeeping: a failure is logged, never raised over the real error."""
    try:
        call()
    except Exception as exc:
        logger.warning("%s: %s", what, exc)
