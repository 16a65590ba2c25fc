"""The thin handlers on the sandbox: each invocation shape they accept, and clear refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govbot import wiring
from govbot.config import ConfigError
from govbot.handlers import actions, enforcer, notifier
from govbot_sandbox.lambda_service import LambdaContextStub
from govbot_sandbox.sandbox import Sandbox

SCHEDULED = {
    "version": "0",
    "id": "flush-1",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-27T12:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/govbot-digest-flush"],
    "detail": {},
}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def test_notifier_sweeps_stalled_items_and_flushes_digests_on_its_schedule(
    sandbox: Sandbox,
) -> None:
    result = notifier.handler(SCHEDULED, LambdaContextStub("govbot-notifier"))

    assert result == {"digests_sent": [], "stalled": {"delivered": [], "failed": []}}


def test_notifier_refuses_an_unknown_shape_naming_what_it_expects(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="Scheduled Event") as raised:
        notifier.handler({"hello": "world"}, LambdaContextStub("govbot-notifier"))

    assert "got keys ['hello']" in str(raised.value)


def test_enforcer_batch_with_an_empty_body_is_recorded_not_failed(sandbox: Sandbox) -> None:
    result = sandbox.deliver_raw([""])

    assert result == {"batchItemFailures": []}
    (rejected,) = sandbox.ledger.events_by_status("rejected")
    assert rejected.raw == ""


def test_missing_environment_names_the_variable(sandbox: Sandbox) -> None:
    environ = sandbox.handler_environment()
    del environ["LEDGER_TABLE_NAME"]
    wiring.configure(environ=environ)

    with pytest.raises(ConfigError, match="environment variable LEDGER_TABLE_NAME"):
        enforcer.handler({"Records": []}, LambdaContextStub("govbot-enforcer"))
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET_ARN"):
        actions.handler({"body": ""}, LambdaContextStub("govbot-actions"))
