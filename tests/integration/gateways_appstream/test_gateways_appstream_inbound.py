"""What the inbound check reads, through real boto3 against the emulator: images shared
with the account (DescribeImages Type=SHARED), its fleets and image builders across pages,
and the snapshots ``foreign_images`` builds from them."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from govbot.enforcer.inbound import foreign_images
from govbot.gateways.appstream import AppStreamGateway
from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream

OWNER = "123456789012"  # the emulator's default caller account
VENDOR = "999999999999"
OTHER = "444455556666"
REGION = "us-east-1"


@pytest.fixture
def emulator() -> Iterator[AppStreamEmulator]:
    emulator = AppStreamEmulator(clock=ManualClock(), validate_responses=True, sinks=[])
    with mock_appstream(emulator):
        yield emulator


def test_shared_images_fleets_and_builders_become_inbound_snapshots(
    emulator: AppStreamEmulator,
) -> None:
    backend = emulator.backend
    backend.settings.fleets_page_size = 2
    own = backend.seed_image(OWNER, REGION, "app-base")
    vendor = backend.seed_image(VENDOR, REGION, "vendor-app", shared_with={OWNER: (True, True)})
    backend.seed_image(VENDOR, REGION, "unused", shared_with={OWNER: (True, False)})
    backend.seed_image(OTHER, REGION, "not-shared-with-us", shared_with={VENDOR: (True, True)})
    for i in range(3):
        backend.seed_fleet(OWNER, REGION, f"vendor-{i}", vendor)
    backend.seed_fleet(OWNER, REGION, "own", own)
    backend.seed_image_builder(OWNER, REGION, "builder", vendor)
    gateway = AppStreamGateway(boto3.session.Session(), max_attempts=1)

    listed = list(gateway.list_images(OWNER, REGION, visibility="SHARED", details=False))
    fleets = gateway.list_fleets(OWNER, REGION)
    builders = gateway.list_image_builders(OWNER, REGION)

    assert sorted(i.ref.name for i in listed) == ["unused", "vendor-app"]
    assert {i.ref.account_id for i in listed} == {VENDOR}  # the owner, from the image ARN
    assert {i.visibility for i in listed} == {"SHARED"}
    assert sorted(f.name for f in fleets) == ["own", "vendor-0", "vendor-1", "vendor-2"]
    assert [(b.name, b.image_arn) for b in builders] == [("builder", vendor)]
    found = foreign_images(
        OWNER, REGION, fleets, builders, governed=frozenset({OWNER}), listed=listed
    )
    assert [(i.ref.arn, i.viewer_account_id) for i in found] == [
        (f"arn:aws:appstream:{REGION}:{VENDOR}:image/unused", OWNER),
        (vendor, OWNER),
    ]
    assert found[0].used_by == ()
    assert sorted((u.kind, u.name) for u in found[1].used_by) == [
        ("fleet", "vendor-0"),
        ("fleet", "vendor-1"),
        ("fleet", "vendor-2"),
        ("image_builder", "builder"),
    ]
