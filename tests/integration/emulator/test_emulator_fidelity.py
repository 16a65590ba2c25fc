"""Contract: AppStream's documented behaviours the emulator keeps, through real boto3.

Revocation cannot be undone by the consumer; failed calls reach CloudTrail; identities
look like CloudTrail's; unknown members are ignored; account ids are 12 digits; errors
are the ones each operation models; validation messages read like AWS's; builders and
fleets pass through their intermediate states; a copy descends from its region's base.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from govbot_sandbox.emulator import AppStreamEmulator
from tests.integration.emulator.conftest import OWNER, REGION, appstream_client

CONSUMER = "222222222222"
BASE = "AppStream-WinServer2022-06-17-2024"
OWNER_KEY = "AKIAOWNER00000000001"
CONSUMER_KEY = "AKIACONSUMER00000001"
ROLE_KEY = "ASIAOWNERROLE0000001"
# What every AWS JSON service may answer besides an operation's modelled errors.
COMMON_ERRORS = {"ValidationException", "ThrottlingException"}


@pytest.fixture
def clients(in_process: AppStreamEmulator) -> dict[str, Any]:
    """owner (IAM user alice), consumer (IAM user dave), owner role (Admin/bob)."""
    in_process.register_identity(OWNER_KEY, OWNER, f"arn:aws:iam::{OWNER}:user/alice")
    in_process.register_identity(CONSUMER_KEY, CONSUMER, f"arn:aws:iam::{CONSUMER}:user/dave")
    in_process.register_identity(
        ROLE_KEY, OWNER, f"arn:aws:sts::{OWNER}:assumed-role/Admin/bob", "AssumedRole"
    )
    return {
        name: appstream_client(aws_access_key_id=key, aws_secret_access_key="x")
        for name, key in (("owner", OWNER_KEY), ("consumer", CONSUMER_KEY), ("role", ROLE_KEY))
    }


def _error(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return dict(caught.value.response)


def _modelled(operation: str) -> set[str]:
    model = botocore.session.get_session().get_service_model("appstream")
    return {shape.name for shape in model.operation_model(operation).error_shapes}


def _consumer_fleet(emulator: AppStreamEmulator, clients: dict[str, Any]) -> None:
    emulator.seed_image(OWNER, REGION, "prod-app", shared_with={CONSUMER: (True, False)})
    consumer = clients["consumer"]
    consumer.create_fleet(
        Name="f",
        ImageArn=f"arn:aws:appstream:{REGION}:{OWNER}:image/prod-app",
        InstanceType="stream.standard.medium",
        ComputeCapacity={"DesiredInstances": 3},
    )
    consumer.start_fleet(Name="f")
    emulator.clock.advance(emulator.settings.fleet_start_seconds)


def _capacity(client: Any) -> dict[str, Any]:
    return dict(client.describe_fleets(Names=["f"])["Fleets"][0]["ComputeCapacityStatus"])


@pytest.mark.parametrize("revoke", ["update-without-fleet", "delete-permissions"])
def test_consumer_cannot_undo_a_fleet_revocation(
    in_process: AppStreamEmulator, clients: dict[str, Any], revoke: str
) -> None:
    _consumer_fleet(in_process, clients)
    consumer, owner = clients["consumer"], clients["owner"]
    assert _capacity(consumer)["Running"] == 3
    if revoke == "delete-permissions":
        owner.delete_image_permissions(Name="prod-app", SharedAccountId=CONSUMER)
    else:
        owner.update_image_permissions(
            Name="prod-app",
            SharedAccountId=CONSUMER,
            ImagePermissions={"allowFleet": False, "allowImageBuilder": True},
        )
    assert _capacity(consumer)["Desired"] == 0
    assert _capacity(consumer)["Running"] == 0

    update = _error(consumer.update_fleet, Name="f", ComputeCapacity={"DesiredInstances": 3})
    assert update["Error"]["Code"] == "OperationNotPermittedException"
    assert "valid image" in update["Error"]["Message"]
    consumer.stop_fleet(Name="f")
    start = _error(consumer.start_fleet, Name="f")
    assert start["Error"]["Code"] == "OperationNotPermittedException"
    assert {"OperationNotPermittedException"} <= _modelled("UpdateFleet") & _modelled("StartFleet")
    assert _capacity(consumer)["Desired"] == 0

    # Updated with a valid image, the fleet may scale and start again.
    consumer.update_fleet(Name="f", ImageName=BASE, ComputeCapacity={"DesiredInstances": 2})
    consumer.start_fleet(Name="f")
    assert consumer.describe_fleets(Names=["f"])["Fleets"][0]["State"] == "STARTING"


def test_failed_mutating_call_reaches_cloudtrail_with_its_error(
    in_process: AppStreamEmulator, clients: dict[str, Any]
) -> None:
    failed = _error(
        clients["owner"].update_image_permissions,
        Name="missing",
        SharedAccountId=CONSUMER,
        ImagePermissions={"allowFleet": True},
    )
    record = in_process.events.named("UpdateImagePermissions")[-1]["detail"]
    assert record["errorCode"] == failed["Error"]["Code"] == "ResourceNotFoundException"
    assert record["errorMessage"] == failed["Error"]["Message"]
    assert record["responseElements"] is None
    assert record["requestID"] == failed["ResponseMetadata"]["RequestId"]


def test_request_id_and_identities_match_cloudtrail(
    in_process: AppStreamEmulator, clients: dict[str, Any]
) -> None:
    in_process.seed_image(OWNER, REGION, "golden")
    grant = {"allowFleet": True, "allowImageBuilder": False}
    sent = clients["owner"].update_image_permissions(
        Name="golden", SharedAccountId=CONSUMER, ImagePermissions=grant
    )
    user = in_process.events.named("UpdateImagePermissions")[-1]["detail"]
    assert user["requestID"] == sent["ResponseMetadata"]["RequestId"]
    assert user["userIdentity"]["type"] == "IAMUser"
    assert user["userIdentity"]["userName"] == "alice"
    assert "sessionContext" not in user["userIdentity"]

    clients["role"].delete_image_permissions(Name="golden", SharedAccountId=CONSUMER)
    role = in_process.events.named("DeleteImagePermissions")[-1]["detail"]["userIdentity"]
    assert role["type"] == "AssumedRole"
    assert role["arn"] == f"arn:aws:sts::{OWNER}:assumed-role/Admin/bob"
    assert role["principalId"].endswith(":bob")
    issuer = role["sessionContext"]["sessionIssuer"]
    assert issuer == {
        "type": "Role",
        "principalId": role["principalId"].split(":")[0],
        "arn": f"arn:aws:iam::{OWNER}:role/Admin",
        "accountId": OWNER,
        "userName": "Admin",
    }
    assert role["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"


def test_unknown_request_members_are_ignored(in_process: AppStreamEmulator) -> None:
    in_process.seed_image(OWNER, REGION, "golden")
    client = appstream_client()

    # A newer SDK may send members this model lacks: botocore would refuse them itself,
    # so they go on the wire through the request-building hook.
    def add_member(params: dict[str, Any], **_: Any) -> None:
        params["body"] = params["body"].replace(b"{", b'{"FutureMember":"x",', 1)

    client.meta.events.register("before-call.appstream.DescribeImages", add_member)
    assert [i["Name"] for i in client.describe_images(Names=["golden"])["Images"]] == ["golden"]


@pytest.mark.parametrize("account", ["12345", "1234567890123"])
def test_account_ids_must_have_12_digits(in_process: AppStreamEmulator, account: str) -> None:
    in_process.seed_image(OWNER, REGION, "golden")
    error = _error(
        appstream_client().update_image_permissions,
        Name="golden",
        SharedAccountId=account,
        ImagePermissions={"allowFleet": True},
    )["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        f"1 validation error detected: Value '{account}' at 'sharedAccountId' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: ^\\d{12}$"
    )
    listing = appstream_client().describe_image_permissions(Name="golden")
    assert listing["SharedImagePermissionsList"] == []


def test_validation_messages_follow_aws_form(in_process: AppStreamEmulator) -> None:
    # botocore validates client-side; a raw body reaches the service as another SDK's would.
    emulator = in_process
    status, _, body = emulator.handle(
        "POST",
        "https://appstream2.us-east-1.amazonaws.com/",
        {"X-Amz-Target": "PhotonAdminProxyService.UpdateImagePermissions"},
        b'{"Name": "bad name!", "SharedAccountId": "12ab"}',
    )
    assert status == 400
    message = __import__("json").loads(body)["message"]
    assert message.startswith("3 validation errors detected: ")
    assert "Value 'bad name!' at 'name' failed to satisfy constraint: Member must satisfy " in (
        message
    )
    assert (
        "Value null at 'imagePermissions' failed to satisfy constraint: Member must not be null"
        in message
    )
    assert "Value '12ab' at 'sharedAccountId'" in message
    assert message.count("; ") == 2


def test_errors_are_those_each_operation_models(
    in_process: AppStreamEmulator, clients: dict[str, Any]
) -> None:
    in_process.seed_image(OWNER, REGION, "golden")
    owner = clients["owner"]
    in_process.seed_image(OWNER, REGION, "second")
    failures = {
        "UpdateImagePermissions": _error(
            owner.update_image_permissions,
            Name="golden",
            SharedAccountId=OWNER,
            ImagePermissions={"allowFleet": True},
        ),
        "DeleteImagePermissions": _error(
            owner.delete_image_permissions, Name="golden", SharedAccountId=OWNER
        ),
        "DescribeImagePermissions": _error(
            owner.describe_image_permissions, Name="golden", NextToken="not-a-token"
        ),
        "DescribeFleets": _error(owner.describe_fleets, NextToken="not-a-token"),
        "DescribeImages": _error(owner.describe_images, NextToken="bm90LWEtdG9rZW4="),
    }
    for operation, failure in failures.items():
        code = failure["Error"]["Code"]
        assert code in _modelled(operation) | COMMON_ERRORS, (operation, code)
    assert failures["UpdateImagePermissions"]["Error"]["Code"] == "ValidationException"
    assert "own account" in failures["UpdateImagePermissions"]["Error"]["Message"]


def test_new_image_builder_is_pending_then_running(
    in_process: AppStreamEmulator, clients: dict[str, Any]
) -> None:
    owner = clients["owner"]
    created = owner.create_image_builder(
        Name="ib", ImageName=BASE, InstanceType="stream.standard.medium"
    )["ImageBuilder"]
    assert created["State"] == "PENDING"
    in_process.clock.advance(in_process.settings.builder_start_seconds - 1)
    assert owner.describe_image_builders(Names=["ib"])["ImageBuilders"][0]["State"] == "PENDING"
    in_process.clock.advance(1)
    assert owner.describe_image_builders(Names=["ib"])["ImageBuilders"][0]["State"] == "RUNNING"


def test_start_fleet_goes_through_starting(
    in_process: AppStreamEmulator, clients: dict[str, Any]
) -> None:
    owner = clients["owner"]
    owner.create_fleet(
        Name="f",
        ImageName=BASE,
        InstanceType="stream.standard.medium",
        ComputeCapacity={"DesiredInstances": 2},
    )
    owner.start_fleet(Name="f")
    fleet = owner.describe_fleets(Names=["f"])["Fleets"][0]
    assert (fleet["State"], fleet["ComputeCapacityStatus"]["Running"]) == ("STARTING", 0)
    in_process.clock.advance(in_process.settings.fleet_start_seconds)
    fleet = owner.describe_fleets(Names=["f"])["Fleets"][0]
    assert (fleet["State"], fleet["ComputeCapacityStatus"]["Running"]) == ("RUNNING", 2)


def test_copy_in_another_region_descends_from_that_regions_base(
    in_process: AppStreamEmulator, clients: dict[str, Any]
) -> None:
    in_process.seed_image(OWNER, REGION, "golden")
    clients["owner"].copy_image(
        SourceImageName="golden", DestinationImageName="golden-eu", DestinationRegion="eu-west-1"
    )
    eu = appstream_client("eu-west-1", aws_access_key_id=OWNER_KEY, aws_secret_access_key="x")
    copy = eu.describe_images(Names=["golden-eu"])["Images"][0]
    assert copy["BaseImageArn"] == f"arn:aws:appstream:eu-west-1::image/{BASE}"
    assert [i["Arn"] for i in eu.describe_images(Arns=[copy["BaseImageArn"]])["Images"]] == [
        copy["BaseImageArn"]
    ]
