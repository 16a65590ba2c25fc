"""CopyImage and CreateUpdatedImage: rules, clock-driven completion, injected failures."""

from __future__ import annotations

from typing import Any

import pytest

from govbot_sandbox.emulator.contract import AppStreamError
from tests.unit.emulator_core.conftest import CONSUMER, DEST, OWNER, REGION, Harness


def copy(world: Harness, dest_name: str, region: str = DEST, **extra: Any) -> dict[str, Any]:
    return world.call(
        OWNER,
        "CopyImage",
        SourceImageName="golden",
        DestinationImageName=dest_name,
        DestinationRegion=region,
        **extra,
    )


@pytest.fixture
def golden(world: Harness) -> str:
    return world.backend.seed_image(
        OWNER, REGION, "golden", tags={"team": "blue"}, shared_with={CONSUMER: (True, True)}
    )


@pytest.mark.usefixtures("golden")
def test_copy_is_pending_then_available_after_the_duration(world: Harness) -> None:
    assert copy(world, "golden-eu", DestinationImageDescription="EU copy") == {
        "DestinationImageName": "golden-eu"
    }
    pending = world.image(OWNER, "golden-eu", DEST)
    assert (pending["State"], pending["Description"]) == ("PENDING", "EU copy")
    assert pending["Arn"] == f"arn:aws:appstream:{DEST}:{OWNER}:image/golden-eu"
    world.clock.advance(world.backend.settings.copy_duration_seconds - 1)
    assert world.image(OWNER, "golden-eu", DEST)["State"] == "PENDING"
    world.clock.advance(1)
    assert world.backend.tick() == 1
    assert world.image(OWNER, "golden-eu", DEST)["State"] == "AVAILABLE"


@pytest.mark.usefixtures("golden")
def test_copy_duration_is_configurable(world: Harness) -> None:
    world.backend.settings.copy_duration_seconds = 30
    copy(world, "golden-eu")
    world.clock.advance(30)
    assert world.image(OWNER, "golden-eu", DEST)["State"] == "AVAILABLE"


@pytest.mark.usefixtures("golden")
def test_copy_within_the_same_region(world: Harness) -> None:
    copy(world, "golden-2", region=REGION)
    assert world.image(OWNER, "golden-2")["State"] == "PENDING"


@pytest.mark.usefixtures("golden")
def test_copy_refuses_an_existing_destination_name(world: Harness) -> None:
    world.backend.seed_image(OWNER, DEST, "taken")
    with pytest.raises(AppStreamError) as err:
        copy(world, "taken")
    assert err.value.code == "ResourceAlreadyExistsException"
    assert "'taken'" in err.value.message


@pytest.mark.usefixtures("golden")
def test_at_most_two_concurrent_copies_per_destination_region(world: Harness) -> None:
    copy(world, "c1")
    copy(world, "c2")
    with pytest.raises(AppStreamError) as err:
        copy(world, "c3")
    assert err.value.code == "LimitExceededException"
    assert DEST in err.value.message
    copy(world, "c3", region="ap-southeast-2")  # another destination region has its own quota
    world.clock.advance(world.backend.settings.copy_duration_seconds)
    copy(world, "c3")  # the first two finished: room again


@pytest.mark.usefixtures("golden")
def test_concurrent_copy_limit_is_configurable(world: Harness) -> None:
    world.backend.settings.max_concurrent_copies = 3
    for name in ("c1", "c2", "c3"):
        copy(world, name)
    with pytest.raises(AppStreamError):
        copy(world, "c4")


@pytest.mark.usefixtures("golden")
def test_copy_carries_neither_tags_nor_permissions(world: Harness) -> None:
    copy(world, "golden-eu")
    image = world.image(OWNER, "golden-eu", DEST)
    assert image["ImageSharedWithOthers"] == "FALSE"
    tags = world.call(OWNER, "ListTagsForResource", DEST, ResourceArn=image["Arn"])["Tags"]
    assert tags == {}
    listed = world.call(OWNER, "DescribeImagePermissions", DEST, Name="golden-eu")
    assert listed["SharedImagePermissionsList"] == []


def test_copy_source_must_be_available(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden", state="FAILED")
    with pytest.raises(AppStreamError) as err:
        copy(world, "x")
    assert err.value.code == "ResourceNotAvailableException"


def test_copy_source_must_be_owned(world: Harness) -> None:
    world.backend.seed_image(CONSUMER, REGION, "golden", shared_with={OWNER: (True, True)})
    with pytest.raises(AppStreamError) as err:
        copy(world, "x")
    assert err.value.code == "ResourceNotFoundException"


@pytest.mark.usefixtures("golden")
def test_scheduled_failure_ends_the_copy_failed(world: Harness) -> None:
    world.backend.fail_next_copies(DEST, 1, "disk on fire")
    copy(world, "doomed")
    assert world.image(OWNER, "doomed", DEST)["State"] == "PENDING"
    world.clock.advance(world.backend.settings.copy_duration_seconds)
    failed = world.image(OWNER, "doomed", DEST)
    assert failed["State"] == "FAILED"
    assert failed["StateChangeReason"] == {"Code": "IMAGE_COPY_FAILURE", "Message": "disk on fire"}
    copy(world, "fine")  # only the next copy was scheduled to fail
    world.clock.advance(world.backend.settings.copy_duration_seconds)
    assert world.image(OWNER, "fine", DEST)["State"] == "AVAILABLE"


@pytest.mark.usefixtures("golden")
def test_scheduled_failure_only_hits_its_region(world: Harness) -> None:
    world.backend.fail_next_copies(DEST, 2)
    copy(world, "elsewhere", region="us-west-2")
    world.clock.advance(world.backend.settings.copy_duration_seconds)
    assert world.image(OWNER, "elsewhere", "us-west-2")["State"] == "AVAILABLE"


@pytest.mark.usefixtures("golden")
def test_source_stays_available_by_default_and_can_show_copying(world: Harness) -> None:
    copy(world, "c1")
    assert world.image(OWNER, "golden")["State"] == "AVAILABLE"
    world.backend.settings.mark_copy_source_copying = True
    assert world.image(OWNER, "golden")["State"] == "COPYING"
    copy(world, "c2", region="us-west-2")  # a copying source can still be copied
    world.clock.advance(world.backend.settings.copy_duration_seconds)
    assert world.image(OWNER, "golden")["State"] == "AVAILABLE"


@pytest.mark.usefixtures("golden")
def test_create_updated_image_builds_a_pending_image(world: Harness) -> None:
    out = world.call(
        OWNER,
        "CreateUpdatedImage",
        existingImageName="golden",
        newImageName="golden-v2",
        newImageDisplayName="Golden v2",
        newImageTags={"v": "2"},
    )
    assert out["canUpdateImage"] is True
    assert (out["image"]["Name"], out["image"]["State"]) == ("golden-v2", "PENDING")
    world.clock.advance(world.backend.settings.build_duration_seconds)
    image = world.image(OWNER, "golden-v2")
    assert (image["State"], image["DisplayName"]) == ("AVAILABLE", "Golden v2")
    tags = world.call(OWNER, "ListTagsForResource", ResourceArn=image["Arn"])["Tags"]
    assert tags == {"v": "2"}


@pytest.mark.usefixtures("golden")
def test_create_updated_image_dry_run_creates_nothing(world: Harness) -> None:
    out = world.call(
        OWNER,
        "CreateUpdatedImage",
        existingImageName="golden",
        newImageName="golden-v2",
        dryRun=True,
    )
    assert out["canUpdateImage"] is True
    with pytest.raises(AppStreamError):
        world.image(OWNER, "golden-v2")


@pytest.mark.usefixtures("golden")
def test_create_updated_image_refuses_an_existing_name(world: Harness) -> None:
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "CreateUpdatedImage", existingImageName="golden", newImageName="golden")
    assert err.value.code == "ResourceAlreadyExistsException"
