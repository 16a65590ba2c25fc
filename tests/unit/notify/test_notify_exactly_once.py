"""Exactly-once as far as Slack allows (issue 18, finding 4), on in-memory fakes: a post of
unknown outcome is re-posted once, marked and counted; never a third time; a receipt write
that fails after a post never causes a second one; a post starts only when its answer can
be waited for; the schedule picks up what a dead notifier left ``sending``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from govbot.gateways.slack import SlackSendError
from govbot.notifier.delivery import DeliveryFailed, NotifierDeps, deliver_item
from govbot.notifier.replay import redeliver_stalled
from tests.fakes import FakeLedger, InMemoryWindowStore, RecordingSink
from tests.unit.notify.builders import T0, outbox, policy

UNANSWERED = SlackSendError(
    "no answer", status=None, attempts=1, retryable=True, outcome_unknown=True
)


class SlowSink(RecordingSink):
    """A sink whose answer may take up to ``seconds``."""

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seconds = seconds

    def max_post_seconds(self) -> float:
        return self.seconds


class FlakyReceipts(InMemoryWindowStore):
    """Route receipts that fail to be written ``failures`` times."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def mark_route_done(self, outbox_id: str, route: str, outcome: str) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("ledger unreachable")
        super().mark_route_done(outbox_id, route, outcome)


def _deps(sink: RecordingSink, windows: InMemoryWindowStore | None = None, **over: Any):
    ledger = FakeLedger(clock=lambda: T0, records=[outbox(1)])
    notifications = policy(
        notifications={
            "routes": [{"name": "ops", "webhook": "ops"}],
            "storm": {"max_messages": 50, "window_seconds": 60},
        }
    ).notifications
    deps = NotifierDeps(
        ledger=ledger,
        notifications=notifications,
        sink=sink,
        windows=windows or InMemoryWindowStore(),
        clock=lambda: T0,
        sleep=lambda _s: None,
        **over,
    )
    return deps, ledger


def _attempt(deps: NotifierDeps, ledger: FakeLedger) -> str:
    try:
        return deliver_item(ledger.outbox["ob-1"], deps).status
    except DeliveryFailed:
        return ledger.outbox["ob-1"].status


def test_an_unanswered_post_is_reposted_once_marked_and_counted() -> None:
    sink = RecordingSink(fail_times=1, error=UNANSWERED)
    deps, ledger = _deps(sink)
    assert _attempt(deps, ledger) == "failed"
    assert "re-posts it once, marked" in (ledger.outbox["ob-1"].last_error or "")
    assert _attempt(deps, ledger) == "delivered"
    assert _attempt(deps, ledger) == "delivered"  # a redelivered record posts nothing
    assert sink.calls == 2
    [(_route, body)] = sink.sent
    assert body["text"].startswith("[possible duplicate]")
    assert "Possible duplicate" in body["blocks"][0]["elements"][0]["text"]
    assert ledger.outbox["ob-1"].possible_duplicates == 1


def test_a_marked_repost_of_unknown_outcome_is_never_posted_a_third_time() -> None:
    sink = RecordingSink(fail_times=2, error=UNANSWERED)
    deps, ledger = _deps(sink)
    assert _attempt(deps, ledger) == "failed"
    assert _attempt(deps, ledger) == "failed"
    assert _attempt(deps, ledger) == "dead_letter"
    assert sink.calls == 2
    item = ledger.outbox["ob-1"]
    assert "not posted a third time" in (item.last_error or "")
    assert item.possible_duplicates == 1


def test_a_refusal_slack_answered_is_retried_plainly() -> None:
    refused = SlackSendError("503", status=503, attempts=3, retryable=True)
    sink = RecordingSink(fail_times=1, error=refused)
    deps, ledger = _deps(sink)
    assert _attempt(deps, ledger) == "failed"
    assert _attempt(deps, ledger) == "delivered"
    [(_, body)] = sink.sent
    assert not body["text"].startswith("[possible duplicate]")
    assert ledger.outbox["ob-1"].possible_duplicates == 0


def test_a_receipt_write_failing_after_the_post_never_posts_again() -> None:
    sink = RecordingSink()
    windows = FlakyReceipts(failures=8)  # more than one attempt's retries
    deps, ledger = _deps(sink, windows)
    assert _attempt(deps, ledger) == "failed"  # posted; its receipt not written yet
    assert _attempt(deps, ledger) == "delivered"
    assert _attempt(deps, ledger) == "delivered"
    assert sink.calls == 1
    assert windows.receipts[("ob-1", "ops")] == "delivered"


def test_no_post_starts_without_time_to_wait_for_its_answer() -> None:
    sink = SlowSink(115.0)
    deps, ledger = _deps(sink, time_left=lambda: 60.0)
    assert _attempt(deps, ledger) == "failed"
    item = ledger.outbox["ob-1"]
    assert "NoTimeToPost" in (item.last_error or "")
    assert item.delivery_attempts == 0  # nothing reached Slack: not an attempt
    assert sink.calls == 0
    deps.time_left = lambda: 300.0
    assert _attempt(deps, ledger) == "delivered"


def test_the_schedule_delivers_what_a_dead_notifier_left_sending() -> None:
    sink = RecordingSink()
    deps, ledger = _deps(sink)
    assert ledger.claim_outbox_for_delivery("ob-1", lease_seconds=300)  # then the process died
    clock = {"now": T0}
    ledger.clock = deps.clock = lambda: clock["now"]
    assert redeliver_stalled(deps) == {"delivered": [], "failed": []}  # lease still held
    clock["now"] = T0 + timedelta(seconds=301)
    assert redeliver_stalled(deps) == {"delivered": ["ob-1"], "failed": []}
    assert ledger.outbox["ob-1"].status == "delivered"
    assert len(sink.sent) == 1
