"""End to end on loopback: moto ledger + Secrets Manager, the real webhook client, fake Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from govbot.gateways.secrets import SecretError, SecretsGateway
from govbot.gateways.slack import RetryPolicy, SlackSendError, SlackWebhookGateway
from govbot.kinds import kind_names
from govbot.ledger.gateway import Ledger
from govbot.ledger.records import OutboxItem
from govbot.ledger.schema import create_ledger_table
from govbot.notifier.delivery import NotifierDeps, deliver_stream_batch
from govbot.notifier.replay import replay_dead_letters
from govbot.notifier.sinks import WebhookSink
from govbot.policy.sections import Storm
from govbot_sandbox.fake_slack import FakeSlack
from tests.unit.notify.builders import T0, outbox, policy, stream_event

SEVERITY = {
    "violation_remedied": "critical",
    "violation_audit": "high",
    "stop_sharing_impact": "high",
}


class Env:
    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.ddb = boto3.client("dynamodb", region_name="us-east-1")
        create_ledger_table(self.ddb, "ledger")
        self.now = T0
        self.ledger = Ledger("ledger", client=self.ddb, clock=lambda: self.now)
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        urls = {"sec": slack.url("security"), "ops": slack.url("ops")}
        self.secret_arn = sm.create_secret(Name="webhooks", SecretString=json.dumps(urls))["ARN"]
        self.sm = sm
        self.sleeps: list[float] = []
        gateway = SlackWebhookGateway(RetryPolicy(sleep=self.sleeps.append))
        secrets = SecretsGateway(webhooks_secret_arn=self.secret_arn, client=sm)
        self.deps = NotifierDeps(
            ledger=self.ledger,
            notifications=policy().notifications,
            sink=WebhookSink(secrets, gateway),
            windows=self.ledger,
            clock=lambda: self.now,
            max_attempts=3,
        )

    def write(self, items):
        self.ledger.add_outbox(items)
        # what the stream carries: the items as stored
        return stream_event(self.stored(items))

    def stored(self, items) -> list[OutboxItem]:
        found = [self.ledger.get_outbox(i.outbox_id) for i in items]
        return [i for i in found if i is not None]


@pytest.fixture
def env() -> Iterator[Env]:
    with mock_aws(), FakeSlack() as slack:
        yield Env(slack)


def test_every_kind_reaches_its_webhook_exactly_once(env: Env):
    notifications = env.deps.notifications
    env.deps.notifications = notifications.model_copy(update={"storm": Storm(max_messages=50)})
    items = [outbox(n, kind, SEVERITY.get(kind, "info")) for n, kind in enumerate(kind_names())]
    assert deliver_stream_batch(env.write(items), env.deps) == {"batchItemFailures": []}
    security = [b["text"] for b in env.slack.delivered("security")]
    ops = [b["text"] for b in env.slack.delivered("ops")]
    assert len(security) == 3
    assert len(ops) == 8
    assert all(t.startswith(("[critical]", "[high]")) for t in security)
    assert {i.status for i in env.ledger.outbox_by_status("delivered")} == {"delivered"}
    assert len(env.ledger.outbox_by_status("delivered")) == len(kind_names())
    assert all(b["blocks"] for b in env.slack.delivered())


def test_500_then_200_arrives_exactly_once(env: Env):
    env.slack.script("security", [(500, {}, "oops")])
    deliver_stream_batch(env.write([outbox(1)]), env.deps)
    assert [r.status for r in env.slack.requests] == [500, 200]
    assert len(env.slack.delivered("security")) == 1
    item = env.ledger.get_outbox("ob-1")
    assert item is not None
    assert item.status == "delivered"
    assert item.delivery_attempts == 1


def test_429_with_retry_after_is_honoured_and_arrives_once(env: Env):
    env.slack.script("security", [(429, {"Retry-After": "2"}, "rate_limited")])
    deliver_stream_batch(env.write([outbox(1)]), env.deps)
    assert [r.status for r in env.slack.requests] == [429, 200]
    assert env.sleeps == [2.0]
    assert len(env.slack.delivered("security")) == 1


def test_slack_down_for_the_whole_run_loses_nothing_and_replay_delivers(env: Env):
    env.slack.go_down(503)
    event = env.write([outbox(1), outbox(2, "drift_found", "medium")])
    for _ in range(3):  # Lambda's retries of the batch
        response = deliver_stream_batch(event, env.deps)
        assert len(response["batchItemFailures"]) == 2
    dead = env.ledger.outbox_by_status("dead_letter")
    assert sorted(i.outbox_id for i in dead) == ["ob-1", "ob-2"]
    assert all(i.delivery_attempts == 3 and "HTTP 503" in (i.last_error or "") for i in dead)
    assert all("/services/" not in (i.last_error or "") for i in dead)  # URL masked
    assert env.slack.delivered() == []

    env.slack.come_back()
    dlq = [
        {
            "body": json.dumps(
                {
                    "requestContext": {"condition": "RetryAttemptsExhausted"},
                    "DDBStreamBatchInfo": {
                        "shardId": "s-1",
                        "startSequenceNumber": "100",
                        "endSequenceNumber": "101",
                        "streamArn": "arn:stream",
                    },
                }
            )
        }
    ]
    report = replay_dead_letters(dlq, env.deps)
    assert sorted(report["delivered"]) == ["ob-1", "ob-2"]
    assert report["failed"] == []
    assert len(env.slack.delivered("security")) == 1
    assert len(env.slack.delivered("ops")) == 1
    assert replay_dead_letters(dlq, env.deps)["delivered"] == []  # nothing sent twice


def test_storm_in_a_minute_is_bounded_with_a_digest(env: Env):
    # 24 items keep moto fast; the 200-item storm runs in the unit suite on the same logic.
    items = [outbox(n, image_name=f"img-{n % 9}") for n in range(24)]
    env.ledger.add_outbox(items)
    stored = env.stored(items)
    for chunk in range(0, 24, 12):
        env.now = T0 + timedelta(seconds=20 + chunk)
        deliver_stream_batch(stream_event(stored[chunk : chunk + 12], start_seq=chunk), env.deps)
    env.now = T0 + timedelta(seconds=75)
    deliver_stream_batch({"Records": []}, env.deps)
    messages = env.slack.delivered("security")
    assert len(messages) == 6  # 5 (max_messages) + 1 digest
    assert "19 messages folded" in messages[-1]["text"]
    blocks = json.dumps(messages[-1]["blocks"])
    assert "violation_remedied x19" in blocks
    assert "img-8" in blocks
    folded = env.ledger.outbox_by_status("folded", limit=500)
    assert len(folded) == 19
    assert {i.digest_id for i in folded} == {"digest-security-1795795200"}
    deliver_stream_batch({"Records": []}, env.deps)
    assert len(env.slack.delivered("security")) == 6


def test_secret_errors_never_show_the_urls(env: Env):
    env.sm.put_secret_value(SecretId=env.secret_arn, SecretString="not json")
    gateway = SecretsGateway(webhooks_secret_arn=env.secret_arn, client=env.sm)
    with pytest.raises(SecretError, match="expected a JSON object"):
        gateway.webhook_urls()
    with pytest.raises(SecretError, match="SLACK_SIGNING_SECRET_ARN"):
        gateway.signing_secret()


def test_connection_refused_is_retried_then_reported_with_the_url_masked():
    sleeps: list[float] = []
    gateway = SlackWebhookGateway(RetryPolicy(sleep=sleeps.append, connection_retries=2))
    with FakeSlack() as slack:
        url = slack.url("T0SECRET/B0SECRET/xoxsecretpath")
    with pytest.raises(SlackSendError) as caught:  # the server is gone: connection refused
        gateway.post(url, {"text": "hi"})
    assert caught.value.attempts == 3
    assert len(sleeps) == 2
    assert caught.value.retryable
    assert "secret" not in str(caught.value).lower()
    assert "unreachable" in str(caught.value)
