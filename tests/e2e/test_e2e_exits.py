"""Images that leave AppStream, end to end on the sandbox: an image exported to an EC2 AMI
whose launch permissions are then given to an outsider is found by the drift sweep,
judged, recorded, announced, and un-shared in enforce mode (moto's EC2 state); a builder's
agents beyond the policy are disabled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govbot.ledger.records.events import ActionRecord, DecisionRecord
from govbot_sandbox.emulator.clock import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
TRUSTED = "111111111111"
OUTSIDER = "999999999999"
POLICY = f"""version: 1
mode: enforce
trusted_accounts:
  - id: "{TRUSTED}"
rules:
  - id: amis-trusted-only
    type: exported_ami_launch_only_trusted
  - id: exports-tagged-only
    type: no_export
    tagged: {{export: approved}}
  - id: builder-agents
    type: builder_agent_access
    allowed_actions: [COMPUTER_VISION]
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Sandbox, FakeSlack]]:
    policy = tmp_path / "exits.yaml"
    policy.write_text(POLICY)
    clock = ManualClock(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    with (
        FakeSlack() as slack,
        Sandbox(regions=(REGION,), slack=slack, clock=clock, policy_path=policy) as sb,
    ):
        yield sb, slack


def _advance(sb: Sandbox, seconds: float) -> None:
    clock = sb.emulator.backend.clock
    assert isinstance(clock, ManualClock)
    clock.advance(seconds)


def _export_and_share(sb: Sandbox) -> tuple[str, str]:
    arn = sb.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "golden")
    appstream: Any = sb.appstream(REGION)
    task = appstream.create_export_image_task(
        ImageName="golden",
        AmiName="golden-ami",
        IamRoleArn=f"arn:aws:iam::{HUB_ACCOUNT}:role/export",
        TagSpecifications={"team": "vdi"},
    )["ExportImageTask"]
    _advance(sb, sb.emulator.settings.export_duration_seconds)
    ami_id = appstream.get_export_image_task(TaskId=task["TaskId"])["ExportImageTask"]["AmiId"]
    sb.ec2(REGION).modify_image_attribute(
        ImageId=ami_id,
        LaunchPermission={"Add": [{"UserId": OUTSIDER}, {"UserId": TRUSTED}]},
    )
    return arn, str(ami_id)


def _launchers(sb: Sandbox, ami_id: str) -> set[str]:
    found = sb.ec2(REGION).describe_image_attribute(ImageId=ami_id, Attribute="launchPermission")
    return {p["UserId"] for p in found["LaunchPermissions"]}


def test_sweep_unshares_an_exported_ami_given_to_an_outsider(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    sb, slack = world
    arn, ami_id = _export_and_share(sb)
    # The EC2 call reached CloudTrail like AppStream's own (source aws.ec2).
    (shared,) = sb.emulator.events.named("ModifyImageAttribute")
    assert shared["source"] == "aws.ec2"
    assert _launchers(sb, ami_id) == {OUTSIDER, TRUSTED}

    report = sb.drift_sweep()
    sb.drain()

    assert report["errors"] == []
    assert report["counts"]["drifted"] == 1
    # EC2 state: the outsider lost its launch permission, the trusted account kept it.
    assert _launchers(sb, ami_id) == {TRUSTED}
    # The ledger: the verdicts of both exit rules, for the image.
    decisions = {
        (r.rule_id, r.account_id): r.outcome
        for r in sb.ledger.by_image(arn)
        if isinstance(r, DecisionRecord)
    }
    assert decisions[("amis-trusted-only", OUTSIDER)] == "violation"
    assert decisions == {
        ("amis-trusted-only", TRUSTED): "allowed",
        ("amis-trusted-only", OUTSIDER): "violation",
        ("exports-tagged-only", "-"): "violation",  # image-level: no account
    }
    # The EC2 call is recorded as govbot's action under the image's drift event.
    (action,) = [r for r in sb.ledger.by_image(arn) if isinstance(r, ActionRecord)]
    assert (action.operation, action.status) == ("ModifyImageAttribute", "succeeded")
    assert action.request["target"] == ami_id
    # Slack: people were told what was removed, naming the AMI and the outsider.
    told = [json.dumps(m) for m in slack.delivered("default") if "Share revoked" in str(m)]
    assert len(told) == 1
    assert ami_id in told[0]
    assert OUTSIDER in told[0]


def test_sweep_disables_builder_agents_the_policy_does_not_allow(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    sb, _ = world
    arn = sb.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "golden")
    appstream: Any = sb.appstream(REGION)
    appstream.create_image_builder(
        Name="agentic",
        ImageArn=arn,
        InstanceType="stream.standard.medium",
        AgentAccessConfig={
            "Settings": [
                {"AgentAction": "COMPUTER_VISION", "Permission": "ENABLED"},
                {"AgentAction": "COMPUTER_INPUT", "Permission": "ENABLED"},
            ],
            "ScreenResolution": "W_1280xH_720",
            "ScreenImageFormat": "PNG",
        },
    )
    _advance(sb, sb.emulator.settings.builder_start_seconds)

    report = sb.drift_sweep()

    assert report["errors"] == []
    builder = appstream.describe_image_builders(Names=["agentic"])["ImageBuilders"][0]
    permissions = {
        s["AgentAction"]: s["Permission"] for s in builder["AgentAccessConfig"]["Settings"]
    }
    assert permissions == {"COMPUTER_VISION": "ENABLED", "COMPUTER_INPUT": "DISABLED"}
    (update,) = sb.emulator.events.named("UpdateImageBuilder")
    assert "govbot-functions" in update["detail"]["userIdentity"]["arn"]


def test_an_export_event_reaching_the_enforcer_unshares_the_ami_at_once(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    """The enforcer's half of the event path: an event about a way out (as the routing of
    CreateExportImageTask / ModifyImageAttribute will deliver it) reads the image's exports
    and remedies them under that event, without waiting for the sweep."""
    from govbot.events import ParsedEvent
    from govbot.wiring.enforcer import enforcer_parts

    sb, _ = world
    arn, ami_id = _export_and_share(sb)
    (export,) = sb.emulator.events.named("CreateExportImageTask")
    detail = export["detail"]
    event = ParsedEvent(
        event_id=detail["eventID"],
        envelope_id=export["id"],
        event_name="CreateExportImageTask",
        event_type="api_call",
        event_time=sb.emulator.backend.clock.now(),
        region=REGION,
        account_id=HUB_ACCOUNT,
        actor_arn=detail["userIdentity"]["arn"],
        image_name="golden",
        image_arn=arn,
        raw=json.dumps(export),
    )
    enforcer = enforcer_parts().enforcer
    result = enforcer.first_attempt(event, event.image_ref)  # type: ignore[arg-type]

    assert result.status == "processed"
    assert _launchers(sb, ami_id) == {TRUSTED}
    (action,) = [r for r in sb.ledger.by_image(arn) if isinstance(r, ActionRecord)]
    assert action.event_id == detail["eventID"]
    # An event of another kind (a tag) leaves exports to the sweep: no EC2 call.
    sb.ec2(REGION).modify_image_attribute(
        ImageId=ami_id, LaunchPermission={"Add": [{"UserId": OUTSIDER}]}
    )
    sb.appstream(REGION).tag_resource(ResourceArn=arn, Tags={"owner": "alice"})
    sb.drain()
    assert _launchers(sb, ami_id) == {OUTSIDER, TRUSTED}
