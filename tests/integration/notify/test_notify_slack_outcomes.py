"""The Slack gateway against the loopback fake Slack: an unanswered post is never retried
in-process (its outcome is unknown), a slow answer within the timeout is one post."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govbot.gateways.slack import RetryPolicy, SlackSendError, SlackWebhookGateway
from govbot_sandbox.fake_slack import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def test_a_post_without_answer_is_reported_unknown_and_not_retried(slack: FakeSlack) -> None:
    gateway = SlackWebhookGateway(RetryPolicy(sleep=lambda _s: None))
    slack.post_without_answer("hello")
    with pytest.raises(SlackSendError) as raised:
        gateway.post(slack.url("ops"), {"text": "hello"})
    assert raised.value.outcome_unknown
    assert "may have posted" in str(raised.value)
    assert len(slack.requests) == 1  # posted once; no retry that could post it again
    assert len(slack.delivered()) == 1


def test_a_refused_post_is_known_not_posted_and_retried(slack: FakeSlack) -> None:
    gateway = SlackWebhookGateway(RetryPolicy(sleep=lambda _s: None))
    slack.script("ops", [(503, {}, "busy")])
    assert gateway.post(slack.url("ops"), {"text": "hi"}).attempts == 2
    assert len(slack.delivered()) == 1


def test_the_timeout_outlasts_a_slow_slack_and_bounds_the_lease() -> None:
    from govbot.gateways.slack import SLACK_TIMEOUT_SECONDS

    gateway = SlackWebhookGateway()
    assert gateway.timeout == SLACK_TIMEOUT_SECONDS >= 30
    # Every attempt waiting its full timeout still fits the notifier's lease and timeout.
    from govbot.notifier.delivery import NotifierDeps
    from govbot.routing import NOTIFIER_TIMEOUT_SECONDS

    worst = gateway.worst_case_seconds()
    assert worst < NotifierDeps.lease_seconds
    assert worst < NOTIFIER_TIMEOUT_SECONDS
