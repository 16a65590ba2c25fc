"""Every permanent failure is announced once, and titled as a failure; blank CloudTrail
text parses. Each case runs on the sandbox and is judged on AppStream, the ledger and the
fake Slack's deliveries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govbot.events import envelope_for
from govbot_sandbox.emulator import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox
from govbot_sandbox.storm import OUTSIDER, grant_builders, image_arn
from tests.e2e.test_e2e_golden import POLICY, job, make_golden, outbox

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
REGIONS = ("eu-west-1", "us-west-2")


def _texts(slack: FakeSlack) -> list[str]:
    return [json.dumps(m) for m in slack.delivered()]


def test_remedy_that_fails_is_titled_as_a_failure(slack_sandbox: Sandbox, slack: FakeSlack) -> None:
    grant_builders(slack_sandbox, 1)
    slack_sandbox.emulator.faults.set(
        "UpdateImagePermissions", error_code="AccessDeniedException", error_message="no"
    )

    slack_sandbox.drain()

    share = slack_sandbox.emulator.backend.world.images[image_arn("storm-000")].shares[OUTSIDER]
    assert share.allow_image_builder  # the remedy really failed
    [message] = [t for t in _texts(slack) if "could not remove" in t]
    assert "Remedy failed: storm-000" in message
    assert "Share revoked" not in message


def test_blank_text_fields_of_a_createimage_service_event_parse(sandbox: Sandbox) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, "us-east-1", "ExampleImage1")
    record = json.loads((SAMPLES / "cloudtrail-CreateImage-service-event.json").read_text())
    details = record["serviceEventDetails"]
    details.update(ImageDescription="", ImageDisPlayName="", ImagePlatform="  ")

    result = sandbox.deliver_raw([json.dumps(envelope_for(record))])

    assert result["batchItemFailures"] == []
    assert sandbox.ledger.events_by_status("rejected") == []
    handled = sandbox.ledger.get_event(record["eventID"]).event
    assert handled is not None
    assert handled.status == "processed"


@pytest.fixture
def golden(tmp_path: Path) -> Iterator[tuple[Sandbox, ManualClock, FakeSlack]]:
    policy = tmp_path / "golden.yaml"
    policy.write_text(POLICY)
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    with FakeSlack() as slack, Sandbox(policy_path=policy, clock=clock, slack=slack) as box:
        yield box, clock, slack


def test_copy_refused_is_counted_backed_off_stopped_and_announced_once(
    golden: tuple[Sandbox, ManualClock, FakeSlack],
) -> None:
    box, clock, slack = golden
    box.emulator.faults.set(
        "CopyImage", error_code="AccessDeniedException", error_message="not authorized"
    )
    arn = make_golden(box, "base-1")
    box.drain()
    for _ in range(8):  # hours of sweeps: far more than the policy's 3 attempts need
        clock.advance(3600)
        box.sweep()
        box.drain()

    for region in REGIONS:
        failed = job(box, arn, region)
        assert (failed.state, failed.attempts, failed.next_attempt_at) == ("failed", 3, None)
        assert "AccessDenied" in (failed.last_reason or "")
        # Backed off: each retry waited longer than the one before (30 s, then 60 s).
        retries = [s for s in failed.history if s.state == "failed" and "retry" in (s.reason or "")]
        assert [s.reason.rsplit("after ", 1)[1] for s in retries] == ["30s", "60s"]  # type: ignore[union-attr]
    assert box.emulator.calls["CopyImage"] == 3 * len(REGIONS)
    assert len(outbox(box, "golden_copy_failed")) == len(REGIONS)
    announced = [t for t in _texts(slack) if "AccessDenied" in t]
    assert len(announced) == len(REGIONS)
    # Further sweeps neither call nor announce again.
    clock.advance(86_400)
    box.sweep()
    box.drain()
    assert box.emulator.calls["CopyImage"] == 3 * len(REGIONS)
    assert len([t for t in _texts(slack) if "AccessDenied" in t]) == len(REGIONS)


def test_ledger_failing_on_the_last_receive_is_announced_without_the_ledger() -> None:
    with FakeSlack() as slack, Sandbox(slack=slack, max_receive_count=2) as box:
        (event_id,) = grant_builders(box, 1).values()
        # Every ledger write of govbot's fails, on every delivery: nothing can be recorded,
        # not even the critical "abandoned" message of the last attempt.
        box.dynamodb_faults.set("*", error_code="InternalServerError")

        box.drain()
        answers = box.cloudwatch_alarms()
        again = box.cloudwatch_alarms()  # the alarm stays in ALARM: said once

        assert len(box.dead_letters()) == 1
        assert box.dynamodb_faults.count("PutItem", "error") > 0
        box.dynamodb_faults.clear()
        assert box.ledger.get_event(event_id).event is None  # the ledger holds nothing
        assert [a["alarms_announced"] for a in answers] == [["govbot-enforcer-dlq-depth"]]
        assert again == []
        critical = [t for t in _texts(slack) if "[critical] govbot alarm" in t]
        assert len(critical) == 1
        assert "govbot-enforcer-dlq" in critical[0]
