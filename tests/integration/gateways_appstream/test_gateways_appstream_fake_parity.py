"""tests.fakes.FakeAppStream keeps the AppStream gateway's contract: the same story, run
through the real ``AppStreamGateway`` on the emulator and against the fake, gives the same
answers (the unit tests lean on the fake; this is what makes a green unit test mean something).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from govbot.domain import ImageRef, Permissions
from govbot.gateways.appstream import AlreadyExists, AppStreamGateway, ImageNotFound
from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream
from tests.fakes import FakeAppStream, FakeClock

OWNER = "123456789012"  # the emulator's default caller account
REGION, WEST = "us-east-1", "eu-west-1"
A, B = "444455556666", "777788889999"
FLEET = Permissions(allow_fleet=True)
BOTH = Permissions(allow_fleet=True, allow_image_builder=True)
START = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def ref(name: str, region: str = REGION) -> ImageRef:
    return ImageRef(account_id=OWNER, region=region, name=name)


@dataclass
class World:
    """One side of the comparison: a gateway, how to seed it, how to move its time."""

    gateway: AppStreamGateway | FakeAppStream
    emulator: AppStreamEmulator | None = None
    clock: FakeClock | ManualClock | None = None

    def seed(self, name: str, shares: dict[str, Permissions] | None = None, **tags: str) -> None:
        if self.emulator is not None:
            wire = {a: (p.allow_fleet, p.allow_image_builder) for a, p in (shares or {}).items()}
            self.emulator.backend.seed_image(OWNER, REGION, name, tags=tags, shared_with=wire)
        else:
            assert isinstance(self.gateway, FakeAppStream)
            self.gateway.seed(ref(name), shares, tags=tags)

    def advance(self, seconds: float) -> None:
        assert self.clock is not None
        self.clock.advance(seconds)


@pytest.fixture(params=["emulator", "fake"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    if request.param == "fake":
        clock = FakeClock(START)
        yield World(FakeAppStream(clock=clock), clock=clock)
        return
    manual = ManualClock(START)
    emulator = AppStreamEmulator(clock=manual, validate_responses=True, sinks=[])
    with mock_appstream(emulator):
        gateway = AppStreamGateway(boto3.session.Session(), max_attempts=1)
        yield World(gateway, emulator=emulator, clock=manual)


def shares(world: World, name: str) -> dict[str, Permissions]:
    image = world.gateway.describe_image(ref(name))
    assert image is not None
    return {s.account_id: s.permissions for s in image.shared_with}


def test_a_missing_image_is_none(world: World) -> None:
    assert world.gateway.describe_image(ref("nope")) is None


def test_share_lists_change_as_the_calls_say(world: World) -> None:
    world.seed("gold", {A: BOTH}, golden="true")
    world.gateway.update_permissions(ref("gold"), B, FLEET)
    world.gateway.update_permissions(ref("gold"), A, FLEET)  # replaces, not adds
    assert shares(world, "gold") == {A: FLEET, B: FLEET}
    world.gateway.delete_permissions(ref("gold"), A)
    assert shares(world, "gold") == {B: FLEET}
    image = world.gateway.describe_image(ref("gold"))
    assert image is not None
    assert image.tags == {"golden": "true"}


def test_deleting_an_absent_share_is_image_not_found(world: World) -> None:
    world.seed("gold")
    with pytest.raises(ImageNotFound):
        world.gateway.delete_permissions(ref("gold"), A)
    with pytest.raises(ImageNotFound):
        world.gateway.update_permissions(ref("nope"), A, FLEET)


def test_listings_hold_the_lane_and_pages_are_bare(world: World) -> None:
    for n in range(30):
        world.seed(f"img-{n:02}", {A: FLEET})
    listed = sorted(i.ref.name for i in world.gateway.list_images(OWNER, REGION))
    assert listed == [f"img-{n:02}" for n in range(30)]
    first = world.gateway.image_page(OWNER, REGION)
    assert first.next_token is not None
    second = world.gateway.image_page(OWNER, REGION, first.next_token)
    assert second.next_token is None
    names = sorted(i.ref.name for i in (*first.images, *second.images))
    assert names == listed
    assert all(i.shared_with == () for i in first.images)  # share lists need with_details
    detailed = world.gateway.with_details(first.images[0])
    assert detailed is not None
    assert detailed.permissions_of(A) == FLEET


def test_tags_and_deletion(world: World) -> None:
    world.seed("gold", golden="true", team="a")
    world.gateway.tag_image(ref("gold"), {"owner": "ops"})
    world.gateway.untag_image(ref("gold"), ["team"])
    image = world.gateway.describe_image(ref("gold"))
    assert image is not None
    assert image.tags == {"golden": "true", "owner": "ops"}
    world.gateway.delete_image(ref("gold"))
    assert world.gateway.describe_image(ref("gold")) is None
    with pytest.raises(ImageNotFound):
        world.gateway.delete_image(ref("gold"))


def test_a_copy_is_pending_then_available_and_its_name_is_taken(world: World) -> None:
    world.seed("gold")
    assert world.gateway.copy_image(ref("gold"), WEST, "gold", "copy") == "gold"
    copy: Any = world.gateway.describe_image(ref("gold", WEST))
    assert (copy.state, copy.description) == ("PENDING", "copy")
    world.advance(3 * 3600)
    copy = world.gateway.describe_image(ref("gold", WEST))
    assert copy.state == "AVAILABLE"
    with pytest.raises(AlreadyExists):
        world.gateway.copy_image(ref("gold"), WEST, "gold", None)
