"""``govbot check`` sees the ways out: an exported AMI shared with an outsider (moto's EC2)
and a builder's agents, through real boto3 clients; read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream
from tests.unit.cli.runner import run_cli

OWNER = "123456789012"
REGION = "us-east-1"
OUTSIDER = "999999999999"
POLICY = """version: 1
mode: enforce
rules:
  - id: amis-trusted-only
    type: exported_ami_launch_only_trusted
  - id: builder-agents
    type: builder_agent_access
    allowed_actions: [COMPUTER_VISION]
"""


def test_check_reports_a_shared_export_and_agents_and_changes_nothing(tmp_path: Path) -> None:
    policy = tmp_path / "exits.yaml"
    policy.write_text(POLICY)
    emulator = AppStreamEmulator(clock=ManualClock(), sinks=[])
    with mock_aws(), mock_appstream(emulator):
        arn = emulator.seed_image(OWNER, REGION, "golden")
        appstream: Any = boto3.client("appstream", region_name=REGION)
        task = appstream.create_export_image_task(
            ImageName="golden", AmiName="golden-ami", IamRoleArn=f"arn:aws:iam::{OWNER}:role/x"
        )["ExportImageTask"]
        emulator.clock.advance(emulator.settings.export_duration_seconds)
        ami = appstream.get_export_image_task(TaskId=task["TaskId"])["ExportImageTask"]["AmiId"]
        ec2: Any = boto3.client("ec2", region_name=REGION)
        ec2.modify_image_attribute(ImageId=ami, LaunchPermission={"Add": [{"UserId": OUTSIDER}]})
        appstream.create_image_builder(
            Name="agentic",
            ImageArn=arn,
            InstanceType="stream.standard.medium",
            AgentAccessConfig={
                "Settings": [{"AgentAction": "FORWARD_MCP_TOOLS", "Permission": "ENABLED"}],
                "ScreenResolution": "W_1280xH_720",
                "ScreenImageFormat": "PNG",
            },
        )
        result = run_cli(
            "check", "--region", REGION, "--all", "--policy", str(policy), "--no-organizations"
        )
        launchers = ec2.describe_image_attribute(ImageId=ami, Attribute="launchPermission")
    assert result.code == 1, result.err
    assert f"VIOLATION golden amis-trusted-only account={OUTSIDER}" in result.out
    assert f"{ami} -launch {OUTSIDER}" in result.out  # what enforce mode would do
    assert "VIOLATION golden builder-agents account=123456789012" in result.out
    assert "FORWARD_MCP_TOOLS is enabled" in result.out
    assert "summary: 2 violation(s) on 1 image(s)" in result.out
    # Read-only: the AMI is still shared, no builder was updated.
    assert launchers["LaunchPermissions"] == [{"UserId": OUTSIDER}]
    assert emulator.calls["UpdateImageBuilder"] == 0
