"""Sharing rules: owner only, never with the owner, 100 accounts, revocation effects."""

from __future__ import annotations

import threading

import pytest

from govbot_sandbox.emulator.contract import AppStreamError
from tests.unit.emulator_core.conftest import CONSUMER, OTHER, OWNER, REGION, Harness


def share(world: Harness, account: str, fleet: bool = True, builder: bool = False) -> None:
    world.call(
        OWNER,
        "UpdateImagePermissions",
        Name="golden",
        SharedAccountId=account,
        ImagePermissions={"allowFleet": fleet, "allowImageBuilder": builder},
    )


def permissions(world: Harness) -> dict[str, dict[str, bool]]:
    out = world.call(OWNER, "DescribeImagePermissions", Name="golden")
    return {e["sharedAccountId"]: e["imagePermissions"] for e in out["SharedImagePermissionsList"]}


def test_share_then_describe_permissions(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    share(world, CONSUMER, fleet=True, builder=True)
    assert permissions(world) == {CONSUMER: {"allowFleet": True, "allowImageBuilder": True}}
    assert world.image(OWNER, "golden")["ImageSharedWithOthers"] == "TRUE"


def test_no_sharing_with_the_owning_account(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    with pytest.raises(AppStreamError) as err:
        share(world, OWNER)
    assert err.value.code == "ValidationException"  # the operation models no IPC
    assert OWNER in err.value.message
    assert permissions(world) == {}


def test_at_most_100_accounts_per_image(world: Harness) -> None:
    accounts = {f"{n:012d}": (True, False) for n in range(500_000_000_000, 500_000_000_100)}
    world.backend.seed_image(OWNER, REGION, "golden", shared_with=accounts)
    with pytest.raises(AppStreamError) as err:
        share(world, CONSUMER)
    assert err.value.code == "LimitExceededException"
    assert "100" in err.value.message
    # Changing an account already on the list stays possible at the limit.
    share(world, "500000000000", fleet=False, builder=True)
    assert permissions(world)["500000000000"] == {"allowFleet": False, "allowImageBuilder": True}


def test_only_the_owner_can_share(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, True)})
    with pytest.raises(AppStreamError) as err:
        world.call(
            CONSUMER,
            "UpdateImagePermissions",
            Name="golden",
            SharedAccountId=OTHER,
            ImagePermissions={"allowFleet": True},
        )
    assert err.value.code == "ResourceNotFoundException"


def test_sharing_needs_an_available_image(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden", state="PENDING")
    with pytest.raises(AppStreamError) as err:
        share(world, CONSUMER)
    assert err.value.code == "ResourceNotAvailableException"
    assert "PENDING" in err.value.message


def test_consumer_sees_shared_image_with_its_grant(world: Harness) -> None:
    world.backend.seed_image(
        OWNER, REGION, "golden", shared_with={CONSUMER: (False, True), OTHER: (True, False)}
    )
    image = world.image(CONSUMER, "golden")
    assert image["Visibility"] == "SHARED"
    assert image["ImagePermissions"] == {"allowFleet": False, "allowImageBuilder": True}
    assert "ImageSharedWithOthers" not in image
    shared = world.call(CONSUMER, "DescribeImages", Type="SHARED")["Images"]
    assert [i["Name"] for i in shared] == ["golden"]
    assert world.call(CONSUMER, "DescribeImages", Type="PRIVATE")["Images"] == []


def test_unshared_account_does_not_see_the_image(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, False)})
    with pytest.raises(AppStreamError) as err:
        world.call(OTHER, "DescribeImages", Names=["golden"])
    assert err.value.code == "ResourceNotFoundException"


def test_sharing_is_regional(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, False)})
    names = [i["Name"] for i in world.call(CONSUMER, "DescribeImages", "eu-west-1")["Images"]]
    assert "golden" not in names


def test_public_images_are_visible_to_everyone_as_public(world: Harness) -> None:
    public = world.call(OTHER, "DescribeImages", Type="PUBLIC")["Images"]
    assert public
    assert all(i["Visibility"] == "PUBLIC" for i in public)
    assert all(":image/" in i["Arn"] and "::image/" in i["Arn"] for i in public)


def test_revoking_fleet_permission_zeroes_consumer_fleets(world: Harness) -> None:
    arn = world.backend.seed_image(
        OWNER, REGION, "golden", shared_with={CONSUMER: (True, True), OTHER: (True, False)}
    )
    world.backend.seed_fleet(CONSUMER, REGION, "prod", arn, desired=5)
    world.backend.seed_fleet(OTHER, REGION, "theirs", arn, desired=3)
    world.call(OWNER, "DeleteImagePermissions", Name="golden", SharedAccountId=CONSUMER)
    capacity = world.fleet(CONSUMER, "prod")["ComputeCapacityStatus"]
    assert capacity["Desired"] == 0
    assert world.fleet(OTHER, "theirs")["ComputeCapacityStatus"]["Desired"] == 3
    assert CONSUMER not in permissions(world)


def test_turning_fleet_permission_off_by_update_zeroes_consumer_fleets(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, True)})
    world.backend.seed_fleet(CONSUMER, REGION, "prod", arn, desired=4)
    share(world, CONSUMER, fleet=False, builder=True)
    assert world.fleet(CONSUMER, "prod")["ComputeCapacityStatus"]["Desired"] == 0
    assert permissions(world)[CONSUMER] == {"allowFleet": False, "allowImageBuilder": True}


def test_update_with_both_flags_off_removes_the_account(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, True)})
    share(world, CONSUMER, fleet=False, builder=False)
    assert permissions(world) == {}
    assert world.image(OWNER, "golden")["ImageSharedWithOthers"] == "FALSE"


def test_revoking_builder_permission_leaves_built_images_and_builders(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (False, True)})
    world.call(
        CONSUMER,
        "CreateImageBuilder",
        Name="ib",
        ImageArn=arn,
        InstanceType="stream.standard.large",
    )
    world.backend.finish_image_build(CONSUMER, REGION, "ib", "stolen-copy")
    world.clock.advance(world.backend.settings.build_duration_seconds)
    world.call(OWNER, "DeleteImagePermissions", Name="golden", SharedAccountId=CONSUMER)
    copy = world.image(CONSUMER, "stolen-copy")
    assert copy["Visibility"] == "PRIVATE"
    assert copy["State"] == "AVAILABLE"
    builders = world.call(CONSUMER, "DescribeImageBuilders")["ImageBuilders"]
    assert [(b["Name"], b["State"]) for b in builders] == [("ib", "RUNNING")]
    with pytest.raises(AppStreamError):
        world.call(CONSUMER, "DescribeImages", Names=["golden"])


def test_consumer_needs_fleet_permission_for_a_fleet(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (False, True)})
    with pytest.raises(AppStreamError) as err:
        world.call(
            CONSUMER,
            "CreateFleet",
            Name="f",
            ImageArn=arn,
            InstanceType="stream.standard.medium",
            ComputeCapacity={"DesiredInstances": 1},
        )
    assert err.value.code == "OperationNotPermittedException"
    assert "allowFleet" in err.value.message


def test_consumer_needs_builder_permission_for_a_builder(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, False)})
    with pytest.raises(AppStreamError) as err:
        world.call(
            CONSUMER,
            "CreateImageBuilder",
            Name="ib",
            ImageArn=arn,
            InstanceType="stream.standard.medium",
        )
    assert err.value.code == "OperationNotPermittedException"
    assert "allowImageBuilder" in err.value.message


def test_consumer_with_fleet_permission_creates_and_updates_fleet(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, False)})
    fleet = world.call(
        CONSUMER,
        "CreateFleet",
        Name="f",
        ImageArn=arn,
        InstanceType="stream.standard.medium",
        ComputeCapacity={"DesiredInstances": 2},
    )["Fleet"]
    assert (fleet["ImageArn"], fleet["ImageName"], fleet["State"]) == (arn, "golden", "STOPPED")
    world.call(CONSUMER, "StartFleet", Name="f")
    world.clock.advance(world.backend.settings.fleet_start_seconds)
    world.call(CONSUMER, "UpdateFleet", Name="f", ComputeCapacity={"DesiredInstances": 6})
    status = world.fleet(CONSUMER, "f")["ComputeCapacityStatus"]
    assert status == {"Desired": 6, "Running": 6, "InUse": 0, "Available": 6}


def test_concurrent_shares_from_threads_are_all_recorded(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    accounts = [f"{n:012d}" for n in range(700_000_000_000, 700_000_000_040)]

    def grant(account: str) -> None:
        share(world, account)

    threads = [threading.Thread(target=grant, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(permissions(world)) == accounts
    writes = [e for e in world.events if not e["detail"]["readOnly"]]
    assert len({e["detail"]["eventID"] for e in writes}) == len(accounts)
