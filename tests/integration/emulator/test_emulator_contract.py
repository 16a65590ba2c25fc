"""Contract: every operation of the core, driven by a real boto3 client, answers what
botocore's model says, in-process and through the HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from govbot_sandbox.emulator import AppStreamEmulator, check_output, mock_appstream
from tests.integration.emulator.conftest import OWNER, REGION, appstream_client

PARTNER = "210987654321"


@pytest.fixture(params=["in-process", "http-server"])
def client(request: pytest.FixtureRequest, emulator: AppStreamEmulator) -> Iterator[Any]:
    """A boto3 client answered by ``emulator`` through each transport (moto's EC2 holds
    the AMIs exports make)."""
    with mock_aws():
        yield from _transport(request.param, emulator)


def _transport(kind: str, emulator: AppStreamEmulator) -> Iterator[Any]:
    if kind == "in-process":
        with mock_appstream(emulator):
            yield appstream_client()
    else:
        with emulator.serve() as server:
            yield appstream_client(endpoint_url=server.endpoint_url)


def _call(client: Any, operation: str, method: str, **params: Any) -> dict[str, Any]:
    response: dict[str, Any] = getattr(client, method)(**params)
    check_output(operation, response, parsed=True)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    return response


def test_every_operation_matches_the_botocore_model(
    client: Any, emulator: AppStreamEmulator
) -> None:
    golden = emulator.seed_image(OWNER, REGION, "golden", tags={"team": "blue"})
    emulator.seed_image(OWNER, REGION, "spare")

    images = _call(client, "DescribeImages", "describe_images", Names=["golden"])
    assert [i["Arn"] for i in images["Images"]] == [golden]

    _call(
        client,
        "UpdateImagePermissions",
        "update_image_permissions",
        Name="golden",
        SharedAccountId=PARTNER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )
    shared = _call(client, "DescribeImagePermissions", "describe_image_permissions", Name="golden")
    assert shared["SharedImagePermissionsList"] == [
        {
            "sharedAccountId": PARTNER,
            "imagePermissions": {"allowFleet": True, "allowImageBuilder": True},
        }
    ]
    _call(
        client,
        "DeleteImagePermissions",
        "delete_image_permissions",
        Name="golden",
        SharedAccountId=PARTNER,
    )

    _call(client, "TagResource", "tag_resource", ResourceArn=golden, Tags={"env": "prod"})
    tags = _call(client, "ListTagsForResource", "list_tags_for_resource", ResourceArn=golden)
    assert tags["Tags"] == {"team": "blue", "env": "prod"}
    _call(client, "UntagResource", "untag_resource", ResourceArn=golden, TagKeys=["env"])

    copy = _call(
        client,
        "CopyImage",
        "copy_image",
        SourceImageName="golden",
        DestinationImageName="golden-eu",
        DestinationRegion="eu-west-1",
    )
    assert copy["DestinationImageName"] == "golden-eu"
    _call(
        client,
        "CreateUpdatedImage",
        "create_updated_image",
        existingImageName="golden",
        newImageName="golden-v2",
    )

    fleet = _call(
        client,
        "CreateFleet",
        "create_fleet",
        Name="f1",
        InstanceType="stream.standard.medium",
        ImageName="golden",
        ComputeCapacity={"DesiredInstances": 1},
    )
    assert fleet["Fleet"]["Name"] == "f1"
    _call(client, "UpdateFleet", "update_fleet", Name="f1", ComputeCapacity={"DesiredInstances": 2})
    _call(client, "StartFleet", "start_fleet", Name="f1")
    fleets = _call(client, "DescribeFleets", "describe_fleets", Names=["f1"])
    assert fleets["Fleets"][0]["ComputeCapacityStatus"]["Desired"] == 2
    _call(client, "StopFleet", "stop_fleet", Name="f1")
    _call(client, "DeleteFleet", "delete_fleet", Name="f1")

    _call(
        client,
        "CreateImageBuilder",
        "create_image_builder",
        Name="b1",
        InstanceType="stream.standard.medium",
        ImageName="golden",
    )
    builders = _call(client, "DescribeImageBuilders", "describe_image_builders", Names=["b1"])
    assert builders["ImageBuilders"][0]["Name"] == "b1"
    emulator.clock.advance(emulator.settings.builder_start_seconds)
    _call(client, "UpdateImageBuilder", "update_image_builder", Name="b1", DisplayName="B one")
    _call(
        client,
        "CreateImageBuilderStreamingURL",
        "create_image_builder_streaming_url",
        Name="b1",
    )
    _call(client, "StopImageBuilder", "stop_image_builder", Name="b1")
    emulator.clock.advance(emulator.settings.builder_stop_seconds)
    _call(client, "StartImageBuilder", "start_image_builder", Name="b1")

    role = f"arn:aws:iam::{OWNER}:role/export"
    task = _call(
        client,
        "CreateExportImageTask",
        "create_export_image_task",
        ImageName="golden",
        AmiName="golden-ami",
        IamRoleArn=role,
    )["ExportImageTask"]
    emulator.clock.advance(emulator.settings.export_duration_seconds)
    done = _call(client, "GetExportImageTask", "get_export_image_task", TaskId=task["TaskId"])
    listed = _call(client, "ListExportImageTasks", "list_export_image_tasks")
    assert listed["ExportImageTasks"][0]["AmiId"] == done["ExportImageTask"]["AmiId"]
    _call(
        client,
        "CreateImportedImage",
        "create_imported_image",
        Name="imported",
        SourceAmiId=done["ExportImageTask"]["AmiId"],
        IamRoleArn=role,
    )

    _call(client, "DeleteImage", "delete_image", Name="spare")

    assert set(emulator.calls) == set(emulator.backend.supported_operations())
    assert emulator.shape_violations == []


@pytest.mark.parametrize(
    ("method", "params", "code", "status"),
    [
        ("delete_image", {"Name": "missing"}, "ResourceNotFoundException", 404),
        (
            "copy_image",
            {
                "SourceImageName": "golden",
                "DestinationImageName": "golden",
                "DestinationRegion": REGION,
            },
            "ResourceAlreadyExistsException",
            400,
        ),
        (
            "delete_image_permissions",
            {"Name": "missing", "SharedAccountId": PARTNER},
            "ResourceNotFoundException",
            404,
        ),
    ],
)
def test_modelled_errors_reach_boto3_with_code_and_status(
    client: Any,
    emulator: AppStreamEmulator,
    method: str,
    params: dict[str, Any],
    code: str,
    status: int,
) -> None:
    emulator.seed_image(OWNER, REGION, "golden")
    with pytest.raises(client.exceptions.ClientError) as info:
        getattr(client, method)(**params)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["Error"]["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_shared_image_in_use_cannot_be_deleted(client: Any, emulator: AppStreamEmulator) -> None:
    emulator.seed_image(OWNER, REGION, "golden", shared_with={PARTNER: (True, False)})
    with pytest.raises(client.exceptions.ResourceInUseException) as info:
        client.delete_image(Name="golden")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_operation_the_core_does_not_implement_is_a_clear_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ClientError) as info:
        client.describe_stacks()
    assert info.value.response["Error"]["Code"] == "UnsupportedOperationException"
    assert "DescribeStacks" in info.value.response["Error"]["Message"]
