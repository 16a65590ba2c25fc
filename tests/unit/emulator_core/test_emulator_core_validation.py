"""Input validation against the botocore model: patterns, required members, unknowns."""

from __future__ import annotations

import pytest

from govbot_sandbox.emulator.contract import AppStreamError
from tests.unit.emulator_core.conftest import CONSUMER, OWNER, REGION, Harness


@pytest.mark.parametrize("bad_name", ["-starts-with-dash", "has space", "", "x" * 102, "a/b"])
def test_image_name_pattern_is_enforced(world: Harness, bad_name: str) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    with pytest.raises(AppStreamError) as err:
        world.call(
            OWNER,
            "CopyImage",
            SourceImageName="golden",
            DestinationImageName=bad_name,
            DestinationRegion="eu-west-1",
        )
    assert err.value.code == "ValidationException"
    assert err.value.message.startswith("1 validation error detected: Value ")
    assert "at 'destinationImageName' failed to satisfy constraint" in err.value.message


def test_longest_valid_image_name_is_accepted(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    name = "a" + "b" * 100
    out = world.call(
        OWNER,
        "CopyImage",
        SourceImageName="golden",
        DestinationImageName=name,
        DestinationRegion="eu-west-1",
    )
    assert out == {"DestinationImageName": name}


@pytest.mark.parametrize("bad_account", ["12345678901a", "", "-1", "1234 5678"])
def test_account_id_pattern_is_enforced(world: Harness, bad_account: str) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    with pytest.raises(AppStreamError) as err:
        world.call(
            OWNER,
            "UpdateImagePermissions",
            Name="golden",
            SharedAccountId=bad_account,
            ImagePermissions={"allowFleet": True},
        )
    assert err.value.code == "ValidationException"
    assert "at 'sharedAccountId' failed to satisfy constraint" in err.value.message


def test_missing_required_member_names_it(world: Harness) -> None:
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DeleteImagePermissions", Name="golden")
    assert err.value.code == "ValidationException"
    assert err.value.message == (
        "1 validation error detected: Value null at 'sharedAccountId' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_unknown_member_is_ignored(world: Harness) -> None:
    # A newer SDK may send members this model lacks; the service ignores them.
    world.backend.seed_image(OWNER, REGION, "golden")
    out = world.call(OWNER, "DeleteImage", Name="golden", Force=True)
    assert out["Image"]["Name"] == "golden"
    assert "force" not in world.events[-1]["detail"]["requestParameters"]


def test_every_violation_is_reported_at_once(world: Harness) -> None:
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "UpdateImagePermissions", Name="bad name", SharedAccountId="12")
    assert err.value.code == "ValidationException"
    message = err.value.message
    assert message.startswith("3 validation errors detected: Value ")
    assert message.count("; Value ") == 2
    assert "Value null at 'imagePermissions' failed to satisfy constraint" in message
    assert "Value 'bad name' at 'name' failed to satisfy constraint" in message
    assert "Value '12' at 'sharedAccountId'" in message


def test_wrong_type_inside_image_permissions_is_rejected(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    with pytest.raises(AppStreamError) as err:
        world.call(
            OWNER,
            "UpdateImagePermissions",
            Name="golden",
            SharedAccountId=CONSUMER,
            ImagePermissions={"allowFleet": "yes"},
        )
    assert err.value.code == "ValidationException"
    assert "Value 'yes' at 'imagePermissions.allowFleet'" in err.value.message


def test_describe_images_max_results_is_capped_at_25(world: Harness) -> None:
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DescribeImages", MaxResults=26)
    assert err.value.code == "ValidationException"
    assert "Value '26' at 'maxResults' failed to satisfy constraint: Member must have value " in (
        err.value.message
    )


def test_unknown_and_unimplemented_operations_are_refused(world: Harness) -> None:
    with pytest.raises(AppStreamError) as unknown:
        world.call(OWNER, "FlyToTheMoon")
    assert unknown.value.code == "UnknownOperationException"
    with pytest.raises(AppStreamError) as unsupported:
        world.call(OWNER, "ListAssociatedStacks", FleetName="f")
    assert unsupported.value.code == "UnsupportedOperationException"
    assert "ListAssociatedStacks" in unsupported.value.message


def test_destination_region_must_look_like_a_region(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    with pytest.raises(AppStreamError) as err:
        world.call(
            OWNER,
            "CopyImage",
            SourceImageName="golden",
            DestinationImageName="c",
            DestinationRegion="mars",
        )
    assert err.value.code == "ValidationException"
    assert "'mars'" in err.value.message
