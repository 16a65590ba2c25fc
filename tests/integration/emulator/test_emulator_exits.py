"""Image exits and entries through real boto3: export to an EC2 AMI (moto's EC2), imports
from an AMI or a WorkSpaces image, agent access on builders, builder sessions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import botocore.model
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.ec2.models import ec2_backends

from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream
from govbot_sandbox.emulator.events import HIDDEN
from tests.integration.emulator.conftest import OWNER, REGION, appstream_client

ROLE = f"arn:aws:iam::{OWNER}:role/export-role"
OUTSIDER = "999999999999"
ACCESS = {
    "Settings": [
        {"AgentAction": "COMPUTER_VISION", "Permission": "ENABLED"},
        {"AgentAction": "COMPUTER_INPUT", "Permission": "ENABLED"},
    ],
    "S3BucketArn": "arn:aws:s3:::agent-shots",
    "ScreenshotsUploadEnabled": True,
    "ScreenResolution": "W_1280xH_720",
    "ScreenImageFormat": "PNG",
}


@pytest.fixture
def world() -> Iterator[AppStreamEmulator]:
    """moto (EC2 among it) and the emulator, both in process; outputs checked on the model."""
    emulator = AppStreamEmulator(clock=ManualClock(), validate_responses=True, sinks=[])
    with mock_aws(), mock_appstream(emulator):
        emulator.register_identity("AKIAOWNER00000000001", OWNER, f"arn:aws:iam::{OWNER}:user/al")
        emulator.register_identity(
            "AKIAOUTSIDER00000001", OUTSIDER, f"arn:aws:iam::{OUTSIDER}:user/eve"
        )
        yield emulator


def _owner() -> Any:
    return appstream_client(aws_access_key_id="AKIAOWNER00000000001", aws_secret_access_key="x")


def _ec2(key: str = "AKIAOWNER00000000001") -> Any:
    return boto3.client("ec2", region_name=REGION, aws_access_key_id=key, aws_secret_access_key="x")


def _export(client: Any, image: str = "golden", ami: str = "golden-ami") -> dict[str, Any]:
    return dict(
        client.create_export_image_task(
            ImageName=image,
            AmiName=ami,
            IamRoleArn=ROLE,
            TagSpecifications={"team": "vdi"},
            AmiDescription="exported",
        )["ExportImageTask"]
    )


def test_export_makes_a_tagged_ami_in_moto_ec2_when_done(world: AppStreamEmulator) -> None:
    world.seed_image(OWNER, REGION, "golden")
    client = _owner()
    task = _export(client)
    assert task["State"] == "EXPORTING"
    assert "AmiId" not in task
    assert task["ImageArn"] == f"arn:aws:appstream:{REGION}:{OWNER}:image/golden"
    world.clock.advance(world.settings.export_duration_seconds)
    done = client.get_export_image_task(TaskId=task["TaskId"])["ExportImageTask"]
    assert done["State"] == "COMPLETED"
    ami = _ec2().describe_images(ImageIds=[done["AmiId"]])["Images"][0]
    assert ami["Name"] == "golden-ami"
    assert ami["OwnerId"] == OWNER
    assert {t["Key"]: t["Value"] for t in ami["Tags"]} == {"team": "vdi"}


def test_export_fails_when_the_ami_name_is_taken(world: AppStreamEmulator) -> None:
    world.seed_image(OWNER, REGION, "golden")
    client = _owner()
    first = _export(client)
    second = _export(client)
    world.clock.advance(world.settings.export_duration_seconds)
    states = {t["TaskId"]: t for t in client.list_export_image_tasks()["ExportImageTasks"]}
    assert states[first["TaskId"]]["State"] == "COMPLETED"
    failed = states[second["TaskId"]]
    assert failed["State"] == "FAILED"
    assert failed["ErrorDetails"][0]["ErrorCode"] == "AMI_NAME_IN_USE"


def test_export_errors_are_the_modelled_ones(world: AppStreamEmulator) -> None:
    world.seed_image(OWNER, REGION, "golden")
    world.seed_image(OWNER, REGION, "building", state="PENDING")
    client = _owner()
    cases = [
        ({"ImageName": "nope"}, "ResourceNotFoundException"),
        ({"ImageName": "building"}, "ResourceNotAvailableException"),
        (
            {"ImageName": "golden", "IamRoleArn": f"arn:aws:iam::{OWNER}:user/x"},
            "InvalidRoleException",
        ),
    ]
    for overrides, code in cases:
        params = {"ImageName": "golden", "AmiName": "an-ami", "IamRoleArn": ROLE, **overrides}
        with pytest.raises(ClientError) as caught:
            client.create_export_image_task(**params)
        assert caught.value.response["Error"]["Code"] == code
    world.settings.max_concurrent_exports = 1
    _export(client, ami="one")
    with pytest.raises(ClientError) as caught:
        _export(client, ami="two")
    assert caught.value.response["Error"]["Code"] == "LimitExceededException"


def test_get_export_task_of_another_account_is_not_found(world: AppStreamEmulator) -> None:
    world.seed_image(OWNER, REGION, "golden")
    task = _export(_owner())
    outsider = appstream_client(aws_access_key_id="AKIAOUTSIDER00000001", aws_secret_access_key="x")
    with pytest.raises(ClientError) as caught:
        outsider.get_export_image_task(TaskId=task["TaskId"])
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert outsider.list_export_image_tasks()["ExportImageTasks"] == []


def test_list_export_tasks_filters_and_pages(world: AppStreamEmulator) -> None:
    for name in ("a", "b", "c"):
        world.seed_image(OWNER, REGION, name)
    client = _owner()
    world.settings.max_concurrent_exports = 5
    for name in ("a", "b", "c"):
        _export(client, image=name, ami=f"ami-of-{name}")
        world.clock.advance(1)
    arn_b = f"arn:aws:appstream:{REGION}:{OWNER}:image/b"
    only_b = client.list_export_image_tasks(Filters=[{"Name": "ImageArn", "Values": [arn_b]}])
    assert [t["AmiName"] for t in only_b["ExportImageTasks"]] == ["ami-of-b"]
    first = client.list_export_image_tasks(MaxResults=2)
    rest = client.list_export_image_tasks(MaxResults=2, NextToken=first["NextToken"])
    names = [t["AmiName"] for t in first["ExportImageTasks"] + rest["ExportImageTasks"]]
    assert names == ["ami-of-c", "ami-of-b", "ami-of-a"]  # newest first
    assert "NextToken" not in rest
    with pytest.raises(ClientError) as caught:
        client.list_export_image_tasks(Filters=[{"Name": "Owner", "Values": ["x"]}])
    assert "supported: State, ImageArn" in caught.value.response["Error"]["Message"]


def test_import_from_an_ami_checks_that_it_is_visible(world: AppStreamEmulator) -> None:
    # An AMI of another account, in moto's EC2 of that account.
    theirs = ec2_backends[OUTSIDER][REGION].register_image(name="their-ami")
    client = _owner()
    with pytest.raises(ClientError) as caught:
        client.create_imported_image(Name="imp", SourceAmiId=theirs.id, IamRoleArn=ROLE)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    ec2_backends[OUTSIDER][REGION].modify_image_attribute(theirs.id, [{"UserId": OWNER}], [])
    image = client.create_imported_image(
        Name="imp", SourceAmiId=theirs.id, IamRoleArn=ROLE, Tags={"src": "ami"}
    )["Image"]
    assert image["State"] == "IMPORTING"
    world.clock.advance(world.settings.import_duration_seconds)
    shown = client.describe_images(Names=["imp"])["Images"][0]
    assert shown["State"] == "AVAILABLE"
    assert client.list_tags_for_resource(ResourceArn=shown["Arn"])["Tags"] == {"src": "ami"}


def test_import_needs_exactly_one_source_and_honours_dry_run(world: AppStreamEmulator) -> None:
    client = _owner()
    for params, code in (
        ({}, "InvalidParameterCombinationException"),
        (
            {"SourceAmiId": "ami-12345678", "WorkspaceImageId": "wsi-12345678"},
            "InvalidParameterCombinationException",
        ),
        ({"WorkspaceImageId": "wsi-12345678", "DryRun": True}, "DryRunOperationException"),
    ):
        with pytest.raises(ClientError) as caught:
            client.create_imported_image(Name="imp", **params)
        assert caught.value.response["Error"]["Code"] == code
    byol = client.create_imported_image(Name="imp", WorkspaceImageId="wsi-12345678")["Image"]
    assert byol["ImageType"] == "BYOL"


def test_builder_agent_access_imds_and_volume_round_trip(world: AppStreamEmulator) -> None:
    client = _owner()
    built = client.create_image_builder(
        Name="b1",
        ImageName="AppStream-WinServer2022-06-17-2024",
        InstanceType="stream.standard.medium",
        AgentAccessConfig=ACCESS,
        DisableIMDSV1=True,
        RootVolumeConfig={"VolumeSizeInGb": 200},
    )["ImageBuilder"]
    assert built["AgentAccessConfig"]["S3BucketArn"] == "arn:aws:s3:::agent-shots"
    assert built["DisableIMDSV1"] is True
    assert built["RootVolumeConfig"] == {"VolumeSizeInGb": 200}
    with pytest.raises(ClientError) as caught:  # still PENDING
        client.update_image_builder(Name="b1", DisplayName="x")
    assert caught.value.response["Error"]["Code"] == "OperationNotPermittedException"
    world.clock.advance(world.settings.builder_start_seconds)
    updated = client.update_image_builder(
        Name="b1",
        AgentAccessConfig={
            "Settings": [{"AgentAction": "COMPUTER_INPUT", "Permission": "DISABLED"}]
        },
    )["ImageBuilder"]["AgentAccessConfig"]
    assert {s["AgentAction"]: s["Permission"] for s in updated["Settings"]} == {
        "COMPUTER_VISION": "ENABLED",
        "COMPUTER_INPUT": "DISABLED",
    }
    cleared = client.update_image_builder(Name="b1", AttributesToDelete=["AGENT_ACCESS_CONFIG"])
    assert "AgentAccessConfig" not in cleared["ImageBuilder"]
    described = client.describe_image_builders(Names=["b1"])["ImageBuilders"][0]
    assert "AgentAccessConfig" not in described


def test_builder_stop_start_and_streaming_url(world: AppStreamEmulator) -> None:
    world.seed_image(OWNER, REGION, "golden")
    world.seed_image_builder(
        OWNER, REGION, "b1", f"arn:aws:appstream:{REGION}:{OWNER}:image/golden"
    )
    client = _owner()
    url = client.create_image_builder_streaming_url(Name="b1", Validity=600)
    assert url["StreamingURL"].startswith("https://appstream2.us-east-1.aws.amazon.com/")
    assert client.stop_image_builder(Name="b1")["ImageBuilder"]["State"] == "STOPPING"
    world.clock.advance(world.settings.builder_stop_seconds)
    with pytest.raises(ClientError) as caught:
        client.create_image_builder_streaming_url(Name="b1")
    assert caught.value.response["Error"]["Code"] == "OperationNotPermittedException"
    assert client.start_image_builder(Name="b1")["ImageBuilder"]["State"] == "PENDING"
    world.clock.advance(world.settings.builder_start_seconds)
    assert client.describe_image_builders(Names=["b1"])["ImageBuilders"][0]["State"] == "RUNNING"


def test_new_operations_reach_cloudtrail_with_secrets_hidden(world: AppStreamEmulator) -> None:
    world.seed_image(OWNER, REGION, "golden")
    world.seed_image_builder(
        OWNER, REGION, "b1", f"arn:aws:appstream:{REGION}:{OWNER}:image/golden"
    )
    client = _owner()
    task = _export(client)
    client.create_image_builder_streaming_url(Name="b1")
    client.update_image_builder(Name="b1", AgentAccessConfig=ACCESS)
    client.get_export_image_task(TaskId=task["TaskId"])  # read-only: recorded as such
    export = world.events.named("CreateExportImageTask")[0]["detail"]
    assert export["requestParameters"]["tagSpecifications"] == {"team": "vdi"}
    assert export["responseElements"]["exportImageTask"]["taskId"] == task["TaskId"]
    assert export["userIdentity"]["arn"] == f"arn:aws:iam::{OWNER}:user/al"
    session = world.events.named("CreateImageBuilderStreamingURL")[0]["detail"]
    assert session["responseElements"]["streamingURL"] == HIDDEN
    update = world.events.named("UpdateImageBuilder")[0]["detail"]
    assert update["requestParameters"]["agentAccessConfig"]["s3BucketArn"] == (
        "arn:aws:s3:::agent-shots"
    )
    (read,) = world.events.named("GetExportImageTask")
    assert (read["detail"]["readOnly"], export["readOnly"]) == (True, False)


@pytest.mark.parametrize("wire", ["json", "smithy-rpc-v2-cbor"])
def test_every_new_operation_answers_in_both_protocols(
    world: AppStreamEmulator, monkeypatch: pytest.MonkeyPatch, wire: str
) -> None:
    """A client that picks rpc-v2-cbor (as the Go SDK does) or JSON drives each operation."""
    known = getattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS")  # noqa: B009
    order = [p for p in known if p != wire]
    monkeypatch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", (wire, *order))
    world.seed_image(OWNER, REGION, "golden")
    client = _owner()
    assert client.meta.service_model.resolved_protocol == wire
    task = _export(client)
    world.clock.advance(world.settings.export_duration_seconds)
    done = client.get_export_image_task(TaskId=task["TaskId"])["ExportImageTask"]
    assert isinstance(done["CreatedDate"], datetime)
    listed = client.list_export_image_tasks(Filters=[{"Name": "State", "Values": ["COMPLETED"]}])
    assert [t["AmiId"] for t in listed["ExportImageTasks"]] == [done["AmiId"]]
    imported = client.create_imported_image(Name="back", SourceAmiId=done["AmiId"], IamRoleArn=ROLE)
    assert imported["Image"]["State"] == "IMPORTING"
    client.create_image_builder(
        Name="b1",
        ImageName="golden",
        InstanceType="stream.standard.medium",
        AgentAccessConfig=ACCESS,
    )
    world.clock.advance(world.settings.builder_start_seconds)
    client.update_image_builder(Name="b1", Description="agents on")
    expires = client.create_image_builder_streaming_url(Name="b1")["Expires"]
    assert isinstance(expires, datetime)
    client.stop_image_builder(Name="b1")
    world.clock.advance(world.settings.builder_stop_seconds)
    assert client.start_image_builder(Name="b1")["ImageBuilder"]["State"] == "PENDING"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_export_image_task(TaskId="00000000-0000-0000-0000-000000000000")
    assert world.shape_violations == []
