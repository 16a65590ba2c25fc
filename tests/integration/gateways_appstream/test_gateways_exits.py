"""The exits gateways and reader against the emulator and moto's EC2: an exported image's
AMI shared with an outsider is found and un-shared; a builder's agents are reined in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from govbot.domain import ImageRef, ImageSnapshot
from govbot.enforcer.exits import ExitReader, reads_exits
from govbot.gateways.appstream import AppStreamGateway
from govbot.gateways.appstream_exits import AppStreamExits
from govbot.gateways.ec2 import Ec2Gateway, Ec2GatewayError
from govbot.policy.engine import evaluate
from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream
from tests.unit.policy.builders import NOW, policy

OWNER = "123456789012"  # moto's default account: the gateway's own credentials
REGION = "us-east-1"
TRUSTED = "111111111111"
OUTSIDER = "999999999999"
POLICY = policy(
    f"trusted_accounts:\n  - id: '{TRUSTED}'\n"
    "rules:\n"
    "  - id: amis\n    type: exported_ami_launch_only_trusted\n"
    "  - id: exports\n    type: no_export\n    tagged: {export: approved}\n"
    "  - id: agents\n    type: builder_agent_access\n    allowed_actions: [COMPUTER_VISION]\n"
)


@pytest.fixture
def world() -> Iterator[tuple[AppStreamEmulator, ExitReader]]:
    emulator = AppStreamEmulator(clock=ManualClock(), sinks=[])
    with mock_aws(), mock_appstream(emulator):
        gateway = AppStreamGateway(boto3.session.Session(), max_attempts=1)
        reader = ExitReader(
            AppStreamExits(gateway),
            Ec2Gateway(lambda account, region: gateway.service_client("ec2", account, region)),
        )
        yield emulator, reader


def _exported(emulator: AppStreamEmulator) -> str:
    emulator.seed_image(OWNER, REGION, "golden")
    client: Any = boto3.client("appstream", region_name=REGION)
    task = client.create_export_image_task(
        ImageName="golden", AmiName="golden-ami", IamRoleArn=f"arn:aws:iam::{OWNER}:role/x"
    )["ExportImageTask"]
    emulator.clock.advance(emulator.settings.export_duration_seconds)
    ami_id = str(client.get_export_image_task(TaskId=task["TaskId"])["ExportImageTask"]["AmiId"])
    boto3.client("ec2", region_name=REGION).modify_image_attribute(
        ImageId=ami_id, LaunchPermission={"Add": [{"UserId": OUTSIDER}, {"UserId": TRUSTED}]}
    )
    return ami_id


def _snapshot() -> ImageSnapshot:
    return ImageSnapshot(ref=ImageRef(account_id=OWNER, region=REGION, name="golden"))


def test_an_exported_ami_shared_with_an_outsider_is_found_and_unshared(
    world: tuple[AppStreamEmulator, ExitReader],
) -> None:
    emulator, reader = world
    ami_id = _exported(emulator)
    assert reads_exits(POLICY)
    image = reader.enrich(_snapshot(), POLICY)
    assert [e.launch_accounts for e in image.exports] == [(TRUSTED, OUTSIDER)]
    evaluation = evaluate(image, POLICY, NOW)
    outcomes = {(v.rule_id, v.account_id): v.outcome for v in evaluation.verdicts}
    assert outcomes == {
        ("amis", TRUSTED): "allowed",
        ("amis", OUTSIDER): "violation",
        ("exports", None): "violation",
    }
    actions = reader.remedy(image, evaluation, POLICY)
    assert [(a.operation, a.target, a.error) for a in actions] == [
        ("ModifyImageAttribute", ami_id, None)
    ]
    left = boto3.client("ec2", region_name=REGION).describe_image_attribute(
        ImageId=ami_id, Attribute="launchPermission"
    )["LaunchPermissions"]
    assert left == [{"UserId": TRUSTED}]
    again = evaluate(reader.enrich(_snapshot(), POLICY), POLICY, NOW)
    assert [v.outcome for v in again.verdicts if v.rule_id == "amis"] == ["allowed"]


def test_audit_mode_reads_but_does_not_touch_the_ami(
    world: tuple[AppStreamEmulator, ExitReader],
) -> None:
    emulator, reader = world
    ami_id = _exported(emulator)
    audit = POLICY.model_copy(update={"mode": "audit"})
    image = reader.enrich(_snapshot(), audit)
    assert reader.remedy(image, evaluate(image, audit, NOW), audit) == []
    still = boto3.client("ec2", region_name=REGION).describe_image_attribute(
        ImageId=ami_id, Attribute="launchPermission"
    )["LaunchPermissions"]
    assert {p["UserId"] for p in still} == {OUTSIDER, TRUSTED}


def test_builder_agents_beyond_the_rule_are_disabled(
    world: tuple[AppStreamEmulator, ExitReader],
) -> None:
    emulator, reader = world
    arn = emulator.seed_image(OWNER, REGION, "golden")
    client: Any = boto3.client("appstream", region_name=REGION)
    client.create_image_builder(
        Name="b1",
        ImageArn=arn,
        InstanceType="stream.standard.medium",
        AgentAccessConfig={
            "Settings": [
                {"AgentAction": "COMPUTER_VISION", "Permission": "ENABLED"},
                {"AgentAction": "FORWARD_MCP_TOOLS", "Permission": "ENABLED"},
            ],
            "ScreenResolution": "W_1280xH_720",
            "ScreenImageFormat": "PNG",
        },
    )
    emulator.clock.advance(emulator.settings.builder_start_seconds)
    image = reader.enrich(_snapshot(), POLICY)
    assert [c.name for c in image.compute] == ["b1"]
    actions = reader.remedy(image, evaluate(image, POLICY, NOW), POLICY)
    assert [(a.operation, a.target, a.error) for a in actions] == [
        ("UpdateImageBuilder", "b1", None)
    ]
    settings = client.describe_image_builders(Names=["b1"])["ImageBuilders"][0][
        "AgentAccessConfig"
    ]["Settings"]
    assert {s["AgentAction"]: s["Permission"] for s in settings} == {
        "COMPUTER_VISION": "ENABLED",
        "FORWARD_MCP_TOOLS": "DISABLED",
    }


def test_a_removal_ec2_refuses_is_reported_not_raised(
    world: tuple[AppStreamEmulator, ExitReader],
) -> None:
    _, reader = world
    with pytest.raises(Ec2GatewayError) as caught:
        reader.ec2.remove_launch_permissions(OWNER, REGION, "ami-0000000000000000a", [OUTSIDER])
    assert caught.value.code == "InvalidAMIID.NotFound"
    action = reader.remove_launch(OWNER, REGION, "ami-0000000000000000a", [OUTSIDER])
    assert action.error is not None
    assert "InvalidAMIID.NotFound" in action.error
