"""AppStreamGateway through real boto3 clients against the in-process AppStream emulator."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from govbot.domain import ImageRef, Permissions, SharedAccountPermission
from govbot.gateways.appstream import (
    AlreadyExists,
    AppStreamGateway,
    ImageNotFound,
    ResourceInUse,
    Throttled,
)
from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream

OWNER = "123456789012"  # the emulator's default caller account
SPOKE = "210987654321"
A, B = "444455556666", "777788889999"
REGION = "us-east-1"
GOLD = ImageRef(account_id=OWNER, region=REGION, name="Gold")


@pytest.fixture
def emulator() -> Iterator[AppStreamEmulator]:
    emulator = AppStreamEmulator(clock=ManualClock(), validate_responses=True, sinks=[])
    with mock_appstream(emulator):
        yield emulator


@pytest.fixture
def gateway(emulator: AppStreamEmulator) -> AppStreamGateway:
    # One attempt: error tests stay deterministic and never sleep in a backoff.
    return AppStreamGateway(boto3.session.Session(), max_attempts=1)


def test_describe_seeded_image(emulator: AppStreamEmulator, gateway: AppStreamGateway) -> None:
    emulator.backend.seed_image(
        OWNER,
        REGION,
        "Gold",
        tags={"golden": "true"},
        shared_with={A: (True, False), B: (True, True)},
        description="the gold image",
    )
    snapshot = gateway.describe_image(GOLD)
    assert snapshot is not None
    assert snapshot.ref == GOLD
    assert snapshot.state == "AVAILABLE"
    assert snapshot.visibility == "PRIVATE"
    assert snapshot.tags == {"golden": "true"}
    assert snapshot.description == "the gold image"
    assert snapshot.created_time is not None
    assert sorted(snapshot.shared_with, key=lambda s: s.account_id) == [
        SharedAccountPermission(account_id=A, permissions=Permissions(allow_fleet=True)),
        SharedAccountPermission(
            account_id=B, permissions=Permissions(allow_fleet=True, allow_image_builder=True)
        ),
    ]


def test_missing_image_is_none(emulator: AppStreamEmulator, gateway: AppStreamGateway) -> None:
    assert gateway.describe_image(GOLD) is None


def test_permissions_read_across_pages(
    emulator: AppStreamEmulator, gateway: AppStreamGateway
) -> None:
    emulator.backend.settings.max_shared_accounts = 1200
    shares = {f"{100000000000 + i}": (True, i % 2 == 0) for i in range(1050)}
    emulator.backend.seed_image(OWNER, REGION, "Gold", shared_with=shares)
    snapshot = gateway.describe_image(GOLD)
    assert snapshot is not None
    assert len(snapshot.shared_with) == 1050  # three pages of at most 500
    assert {s.account_id for s in snapshot.shared_with} == set(shares)
    assert snapshot.permissions_of("100000000002") == Permissions(
        allow_fleet=True, allow_image_builder=True
    )
    assert emulator.calls["DescribeImagePermissions"] == 3


def test_list_images_pages_and_details(
    emulator: AppStreamEmulator, gateway: AppStreamGateway
) -> None:
    for i in range(30):
        emulator.backend.seed_image(OWNER, REGION, f"img{i:02d}", tags={"n": str(i)})
    emulator.backend.seed_image(A, REGION, "not-mine")
    bare = list(gateway.list_images(OWNER, REGION, details=False))
    assert sorted(s.ref.name for s in bare) == [f"img{i:02d}" for i in range(30)]
    assert all(s.tags == {} for s in bare)
    assert emulator.calls["DescribeImages"] == 2
    detailed = {s.ref.name: s for s in gateway.list_images(OWNER, REGION)}
    assert detailed["img07"].tags == {"n": "7"}


def test_share_update_and_stop(emulator: AppStreamEmulator, gateway: AppStreamGateway) -> None:
    emulator.backend.seed_image(OWNER, REGION, "Gold")
    gateway.update_permissions(GOLD, A, Permissions(allow_fleet=True, allow_image_builder=True))
    gateway.update_permissions(GOLD, A, Permissions(allow_fleet=True))
    snapshot = gateway.describe_image(GOLD)
    assert snapshot is not None
    assert snapshot.permissions_of(A) == Permissions(allow_fleet=True)
    gateway.delete_permissions(GOLD, A)
    after = gateway.describe_image(GOLD)
    assert after is not None
    assert after.shared_with == ()


def test_tag_copy_and_delete(emulator: AppStreamEmulator, gateway: AppStreamGateway) -> None:
    emulator.backend.seed_image(OWNER, REGION, "Gold", shared_with={A: (True, False)})
    gateway.tag_image(GOLD, {"golden": "true"})
    snapshot = gateway.describe_image(GOLD)
    assert snapshot is not None
    assert snapshot.tags == {"golden": "true"}

    assert gateway.copy_image(GOLD, "us-west-2", "Gold-usw2", "replica") == "Gold-usw2"
    copy = gateway.describe_image(ImageRef(account_id=OWNER, region="us-west-2", name="Gold-usw2"))
    assert copy is not None
    assert copy.tags == {}  # tags are not copied
    assert copy.shared_with == ()  # nor is sharing
    with pytest.raises(AlreadyExists) as caught:
        gateway.copy_image(GOLD, "us-west-2", "Gold-usw2", None)
    assert caught.value.operation == "CopyImage"

    with pytest.raises(ResourceInUse):  # still shared with A
        gateway.delete_image(GOLD)
    gateway.delete_permissions(GOLD, A)
    gateway.delete_image(GOLD)
    assert gateway.describe_image(GOLD) is None
    with pytest.raises(ImageNotFound):
        gateway.delete_image(GOLD)


def test_fleets_using(emulator: AppStreamEmulator, gateway: AppStreamGateway) -> None:
    emulator.backend.settings.fleets_page_size = 2
    arn = emulator.backend.seed_image(OWNER, REGION, "Gold")
    other = emulator.backend.seed_image(OWNER, REGION, "Silver")
    for i in range(3):
        emulator.backend.seed_fleet(OWNER, REGION, f"gold-{i}", arn, desired=i + 1)
    emulator.backend.seed_fleet(OWNER, REGION, "silver", other)
    fleets = gateway.fleets_using(GOLD, OWNER, REGION)
    assert sorted(f.name for f in fleets) == ["gold-0", "gold-1", "gold-2"]
    assert {f.desired_capacity for f in fleets} == {1, 2, 3}
    assert all(f.image_arn == GOLD.arn and f.state == "RUNNING" for f in fleets)


def test_throttling_becomes_throttled(
    emulator: AppStreamEmulator, gateway: AppStreamGateway
) -> None:
    emulator.faults.set("DescribeImages", throttle_rate=1.0)
    with pytest.raises(Throttled) as caught:
        gateway.describe_image(GOLD)
    assert caught.value.code == "ThrottlingException"


def test_throttling_is_retried_with_backoff(
    emulator: AppStreamEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    # Record botocore's backoff instead of waiting it out.
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    emulator.backend.seed_image(OWNER, REGION, "Gold")
    emulator.faults.set("DescribeImages", error_code="ThrottlingException", error_next=1)
    gateway = AppStreamGateway(boto3.session.Session(), retry_mode="standard", max_attempts=3)
    assert gateway.describe_image(GOLD) is not None
    assert emulator.calls["DescribeImages"] == 2
    assert len(slept) == 1


def test_assume_role_acts_in_the_spoke_account(emulator: AppStreamEmulator) -> None:
    emulator.backend.seed_image(SPOKE, REGION, "SpokeGold", shared_with={A: (True, True)})
    spoke_ref = ImageRef(account_id=SPOKE, region=REGION, name="SpokeGold")
    role = f"arn:aws:iam::{SPOKE}:role/govbot-remediation"
    with mock_aws():
        hub = AppStreamGateway(
            boto3.session.Session(),
            max_attempts=1,
            role_arn_for=lambda acct: role if acct == SPOKE else None,
        )
        snapshot = hub.describe_image(spoke_ref)
        assert snapshot is not None
        assert snapshot.ref == spoke_ref
        hub.delete_permissions(spoke_ref, A)
        # The hub's own credentials act in its own account, where the image is absent.
        assert (
            hub.describe_image(ImageRef(account_id=OWNER, region=REGION, name="SpokeGold")) is None
        )
    after = emulator.backend.world.images[spoke_ref.arn]
    assert after.shares == {}
