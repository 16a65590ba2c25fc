"""Delivery logic: routing, storm control, retries and dead letters (in-memory fakes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govbot.gateways.secrets import StaticSecrets
from govbot.gateways.slack import SlackSendError
from govbot.notifier.delivery import (
    DeliveryFailed,
    NotifierDeps,
    deliver_item,
    deliver_stream_batch,
)
from govbot.notifier.digest import flush_digests
from govbot.notifier.replay import replay_dead_letters
from govbot.notifier.sinks import ConsoleSink, RouteConfigError, WebhookSink
from tests.fakes import FakeLedger, InMemoryWindowStore, RecordingSink
from tests.unit.notify.builders import T0, outbox, policy, stream_event


def _deps(ledger: FakeLedger, sink, *, now=T0, max_attempts: int = 3, **policy_over):
    clock = {"now": now}
    deps = NotifierDeps(
        ledger=ledger,
        notifications=policy(**policy_over).notifications,
        sink=sink,
        windows=InMemoryWindowStore(),
        clock=lambda: clock["now"],
        max_attempts=max_attempts,
    )
    return deps, clock


def test_kinds_and_severities_reach_their_routes():
    items = [
        outbox(1, "violation_remedied", "critical"),
        outbox(2, "golden_copy_completed", "info"),
        outbox(3, "violation_audit", "medium"),
    ]  # below the security route's min_severity
    ledger, sink = FakeLedger(records=items), RecordingSink()
    deps, _ = _deps(ledger, sink)
    assert deliver_stream_batch(stream_event(items), deps) == {"batchItemFailures": []}
    assert [(route, body["text"].split(":")[0]) for route, body in sink.sent] == [
        # The builder's payload carries details.error: an abandoned remedy, titled as such.
        ("security", "[critical] Remedy failed"),
        ("ops", "[info] Golden copy completed"),
    ]
    assert ledger.outbox["ob-1"].status == "delivered"
    assert ledger.outbox["ob-3"].status == "delivered"
    assert "no route accepts kind violation_audit" in (ledger.outbox["ob-3"].last_error or "")


def test_a_redelivered_stream_record_is_not_sent_twice():
    items = [outbox(1)]
    ledger, sink = FakeLedger(records=items), RecordingSink()
    deps, _ = _deps(ledger, sink)
    deliver_stream_batch(stream_event(items), deps)
    deliver_stream_batch(stream_event(items), deps)
    assert len(sink.sent) == 1
    assert ledger.outbox["ob-1"].delivery_attempts == 1


def test_failure_is_recorded_raised_for_lambda_then_dead_lettered_then_replayed():
    items = [outbox(1)]
    error = SlackSendError(
        "Slack webhook http://x/*** answered HTTP 503", status=503, attempts=3, retryable=True
    )
    ledger, sink = FakeLedger(records=items), RecordingSink(fail_times=99, error=error)
    deps, _ = _deps(ledger, sink, max_attempts=3)
    event = stream_event(items)
    statuses = []
    for _ in range(4):  # Lambda retrying the record
        response = deliver_stream_batch(event, deps)
        assert response == {"batchItemFailures": [{"itemIdentifier": "100"}]}
        statuses.append(ledger.outbox["ob-1"].status)
    assert statuses == ["failed", "failed", "dead_letter", "dead_letter"]
    assert ledger.outbox["ob-1"].delivery_attempts == 3
    assert "HTTP 503" in (ledger.outbox["ob-1"].last_error or "")
    assert sink.sent == []

    sink.fail_times = 0  # Slack is back; the operator replays the DLQ
    dlq = [
        {
            "body": '{"DDBStreamBatchInfo": {"shardId": "s", "startSequenceNumber": "100",'
            ' "endSequenceNumber": "100", "streamArn": "arn"}}'
        }
    ]
    report = replay_dead_letters(dlq, deps)  # no stream reader: the ledger sweep finds it
    assert report == {"delivered": ["ob-1"], "failed": [], "skipped": []}
    assert ledger.outbox["ob-1"].status == "delivered"
    assert len(sink.sent) == 1
    assert replay_dead_letters(dlq, deps) == {"delivered": [], "failed": [], "skipped": []}


def test_replay_by_explicit_outbox_id_and_failed_replay_returns_to_dead_letter():
    items = [outbox(1)]
    error = SlackSendError("down", status=None, attempts=3, retryable=True)
    ledger, sink = FakeLedger(records=items), RecordingSink(fail_times=99, error=error)
    deps, _ = _deps(ledger, sink, max_attempts=1)
    deliver_stream_batch(stream_event(items), deps)
    assert ledger.outbox["ob-1"].status == "dead_letter"
    report = replay_dead_letters([{"outbox_id": "ob-1"}], deps, sweep_ledger=False)
    assert report["failed"] == ["ob-1"]
    assert ledger.outbox["ob-1"].status == "dead_letter"


def test_permanent_slack_error_dead_letters_at_once():
    items = [outbox(1)]
    error = SlackSendError("HTTP 400 invalid_blocks", status=400, attempts=1, retryable=False)
    ledger = FakeLedger(records=items)
    deps, _ = _deps(ledger, RecordingSink(fail_times=1, error=error), max_attempts=5)
    with pytest.raises(DeliveryFailed, match="dead_letter"):
        deliver_item(items[0], deps)
    assert ledger.outbox["ob-1"].status == "dead_letter"


def test_unknown_webhook_key_is_a_clear_error_on_the_item():
    items = [outbox(1)]
    ledger = FakeLedger(records=items)
    sink = WebhookSink(StaticSecrets({"ops": "https://hooks.slack.com/services/T/B/secret"}))
    deps, _ = _deps(ledger, sink)
    with pytest.raises(DeliveryFailed):
        deliver_item(items[0], deps)
    error = ledger.outbox["ob-1"].last_error or ""
    assert "route 'security' uses webhook key 'sec'" in error
    assert "keys present: ['ops']" in error
    assert "secret" not in error.split("keys")[0][-8:]
    assert "hooks.slack.com/services" not in error
    with pytest.raises(RouteConfigError):
        sink.url_for(policy().notifications.routes[0])


def test_storm_of_200_violations_gives_bounded_messages_and_one_digest():
    items = [outbox(n, image_name=f"img-{n % 7}") for n in range(200)]
    ledger, sink = FakeLedger(records=items), RecordingSink()
    deps, clock = _deps(ledger, sink)
    for chunk in range(0, 200, 50):  # four stream batches within the minute
        clock["now"] = T0 + timedelta(seconds=chunk // 5)
        deliver_stream_batch(stream_event(items[chunk : chunk + 50], start_seq=chunk), deps)
    assert len(sink.sent) == 5  # max_messages; digest not yet due
    statuses = [i.status for i in ledger.outbox.values()]
    assert statuses.count("delivered") == 5
    assert statuses.count("folded") == 195
    digest_ids = {i.digest_id for i in ledger.outbox.values() if i.status == "folded"}
    assert len(digest_ids) == 1

    clock["now"] = T0 + timedelta(seconds=61)  # window over: the next batch flushes the digest
    deliver_stream_batch({"Records": []}, deps)
    deliver_stream_batch({"Records": []}, deps)  # a second flush sends nothing more
    assert len(sink.sent) == 6
    route, digest = sink.sent[-1]
    assert route == "security"
    assert "195 messages folded" in digest["text"]
    text = str(digest["blocks"])
    assert "violation_remedied x195" in text
    assert "img-0" in text
    assert "img-6" in text


def test_digest_send_failure_is_retried_by_the_next_flush():
    items = [outbox(n) for n in range(7)]
    ledger, sink = FakeLedger(records=items), RecordingSink()
    deps, _clock = _deps(ledger, sink)
    deliver_stream_batch(stream_event(items), deps)
    later = T0 + timedelta(minutes=2)
    sink.fail_times, sink.error = 1, SlackSendError("x", status=503, attempts=3, retryable=True)
    notifications = deps.notifications
    assert flush_digests(deps.windows, notifications, sink, now=later) == []
    sent = flush_digests(deps.windows, notifications, sink, now=later)
    assert len(sent) == 1
    assert "2 messages folded" in sink.sent[-1][1]["text"]


def test_console_sink_writes_one_json_line_per_message(capsys):
    items = [outbox(1), outbox(2, "golden_copy_failed", "high")]
    deps, _ = _deps(FakeLedger(records=items), ConsoleSink())
    deliver_stream_batch(stream_event(items), deps)
    import json

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["route"], line["text"][:14]) for line in lines] == [
        ("security", "[critical] Rem"),  # details.error: a remedy that failed
        ("ops", "[high] Golden "),
    ]
    assert all(line["blocks"] for line in lines)
