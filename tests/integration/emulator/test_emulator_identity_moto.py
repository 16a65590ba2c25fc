"""Identity through moto: a hub that assumes a spoke role acts in the spoke account."""

from __future__ import annotations

import boto3
from moto import mock_aws

from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream
from tests.integration.emulator.conftest import REGION, appstream_client

HUB = "123456789012"
SPOKE = "999988887777"


def test_assumed_spoke_role_calls_land_in_the_spoke_account() -> None:
    with mock_aws():
        emulator = AppStreamEmulator(clock=ManualClock())
        emulator.seed_image(SPOKE, REGION, "spoke-golden")
        emulator.seed_image(HUB, REGION, "hub-golden")
        with mock_appstream(emulator):
            creds = boto3.client("sts", region_name=REGION).assume_role(
                RoleArn=f"arn:aws:iam::{SPOKE}:role/govbot-remediation",
                RoleSessionName="govbot-hub",
            )["Credentials"]
            spoke = appstream_client(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
            spoke.update_image_permissions(
                Name="spoke-golden", SharedAccountId=HUB, ImagePermissions={"allowFleet": True}
            )
            hub_names = [
                i["Name"] for i in appstream_client().describe_images(Type="PRIVATE")["Images"]
            ]

    [event] = emulator.events.named("UpdateImagePermissions")
    identity = event["detail"]["userIdentity"]
    assert event["account"] == SPOKE
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{SPOKE}:assumed-role/govbot-remediation/govbot-hub"
    assert identity["accessKeyId"] == creds["AccessKeyId"]
    assert hub_names == ["hub-golden"]


def test_moto_iam_user_keys_resolve_to_that_user() -> None:
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        iam.create_user(UserName="carol")
        key = iam.create_access_key(UserName="carol")["AccessKey"]
        emulator = AppStreamEmulator(clock=ManualClock())
        emulator.seed_image(HUB, REGION, "golden")
        with mock_appstream(emulator):
            appstream_client(
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
                aws_session_token=None,
            ).tag_resource(
                ResourceArn=f"arn:aws:appstream:{REGION}:{HUB}:image/golden", Tags={"k": "v"}
            )
    [event] = emulator.events.named("TagResource")
    assert event["detail"]["userIdentity"]["arn"] == f"arn:aws:iam::{HUB}:user/carol"


def test_registry_beats_moto_and_default() -> None:
    emulator = AppStreamEmulator(clock=ManualClock(), sinks=[])
    emulator.register_identity(
        "AKIAREGISTERED", SPOKE, f"arn:aws:sts::{SPOKE}:assumed-role/ops/alice", "AssumedRole"
    )
    emulator.seed_image(SPOKE, REGION, "golden")
    with mock_appstream(emulator):
        names = [
            i["Name"]
            for i in appstream_client(
                aws_access_key_id="AKIAREGISTERED",
                aws_secret_access_key="x",
                aws_session_token=None,
            ).describe_images(Type="PRIVATE")["Images"]
        ]
    assert names == ["golden"]
