"""The replicator Lambda handler on the sandbox: invocation shapes and batch failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from govbot.config import ConfigError, ReplicatorSettings, load_settings
from govbot.handlers import replicator
from govbot_sandbox.emulator import ManualClock
from govbot_sandbox.lambda_service import LambdaContextStub, sqs_record
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock=ManualClock(datetime(2026, 3, 1, tzinfo=UTC))) as box:
        yield box


def test_scheduled_event_runs_a_sweep_that_starts_copies(sandbox: Sandbox) -> None:
    arn = sandbox.emulator.backend.seed_image(HUB_ACCOUNT, "us-east-1", "golden-base-1")
    result = sandbox.sweep()
    assert result["sweep"]["sources"] == 1
    job = sandbox.ledger.get_copy_job(arn, "eu-west-1")
    assert job is not None
    assert job.state == "copying"


def test_unknown_invocation_shape_is_refused_with_a_clear_message(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="expected an SQS batch"):
        replicator.handler({"hello": "world"}, LambdaContextStub("govbot-replicator"))


def test_bad_record_does_not_fail_the_batch_and_good_ones_work(sandbox: Sandbox) -> None:
    arn = sandbox.emulator.backend.seed_image(HUB_ACCOUNT, "us-east-1", "golden-base-2")
    sandbox.appstream("us-east-1").tag_resource(ResourceArn=arn, Tags={"team": "x"})
    [tag_event] = [
        e for e in sandbox.emulator.events.events if e["detail"]["eventName"] == "TagResource"
    ]
    batch = {
        "Records": [
            sqs_record("{not json", "bad"),
            sqs_record(json.dumps(tag_event), "good"),
        ]
    }
    result = replicator.handler(batch, LambdaContextStub("govbot-replicator"))
    assert result["batchItemFailures"] == []
    job = sandbox.ledger.get_copy_job(arn, "eu-west-1")
    assert job is not None
    assert job.state == "copying"


def test_settings_name_each_missing_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(ReplicatorSettings, {"LEDGER_TABLE_NAME": "ledger"})
    message = str(info.value)
    for variable in ("POLICY_PARAMETER_NAME", "GOVERNED_ACCOUNT_IDS", "GOVERNED_REGIONS"):
        assert variable in message
