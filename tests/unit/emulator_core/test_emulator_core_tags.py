"""Tag rules on images (and fleets): limits, reserved prefix, lengths, ownership."""

from __future__ import annotations

import pytest

from govbot_sandbox.emulator.contract import AppStreamError
from tests.unit.emulator_core.conftest import CONSUMER, OWNER, REGION, Harness


@pytest.fixture
def arn(world: Harness) -> str:
    return world.backend.seed_image(OWNER, REGION, "golden", tags={"keep": "me"})


def tags_of(world: Harness, arn: str) -> dict[str, str]:
    return world.call(OWNER, "ListTagsForResource", ResourceArn=arn)["Tags"]


def test_tag_and_untag(world: Harness, arn: str) -> None:
    world.call(OWNER, "TagResource", ResourceArn=arn, Tags={"golden": "true", "keep": "new"})
    assert tags_of(world, arn) == {"golden": "true", "keep": "new"}
    world.call(OWNER, "UntagResource", ResourceArn=arn, TagKeys=["golden", "absent"])
    assert tags_of(world, arn) == {"keep": "new"}


def test_at_most_50_tags(world: Harness, arn: str) -> None:
    world.call(OWNER, "TagResource", ResourceArn=arn, Tags={f"k{n}": "v" for n in range(49)})
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "TagResource", ResourceArn=arn, Tags={"one": "1", "two": "2"})
    assert err.value.code == "LimitExceededException"
    assert len(tags_of(world, arn)) == 50


@pytest.mark.parametrize("key", ["aws:owner", "AWS:owner"])
def test_reserved_aws_prefix_is_refused(world: Harness, arn: str, key: str) -> None:
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "TagResource", ResourceArn=arn, Tags={key: "x"})
    assert err.value.code == "ValidationException"
    assert "aws:" in err.value.message.lower()


def test_key_and_value_lengths(world: Harness, arn: str) -> None:
    world.call(OWNER, "TagResource", ResourceArn=arn, Tags={"k" * 128: "v" * 256})
    with pytest.raises(AppStreamError) as long_key:
        world.call(OWNER, "TagResource", ResourceArn=arn, Tags={"k" * 129: "v"})
    assert long_key.value.code == "ValidationException"
    with pytest.raises(AppStreamError) as long_value:
        world.call(OWNER, "TagResource", ResourceArn=arn, Tags={"k": "v" * 257})
    assert long_value.value.code == "ValidationException"


def test_unicode_tag_values_are_accepted(world: Harness, arn: str) -> None:
    world.call(OWNER, "TagResource", ResourceArn=arn, Tags={"équipe": "données 1"})
    assert tags_of(world, arn)["équipe"] == "données 1"


def test_other_accounts_cannot_tag_or_read_tags(world: Harness, arn: str) -> None:
    with pytest.raises(AppStreamError) as err:
        world.call(CONSUMER, "TagResource", ResourceArn=arn, Tags={"x": "y"})
    assert err.value.code == "ResourceNotFoundException"
    with pytest.raises(AppStreamError):
        world.call(CONSUMER, "ListTagsForResource", ResourceArn=arn)


def test_fleets_can_be_tagged(world: Harness, arn: str) -> None:
    fleet_arn = world.backend.seed_fleet(OWNER, REGION, "prod", arn)
    world.call(OWNER, "TagResource", ResourceArn=fleet_arn, Tags={"env": "prod"})
    assert tags_of(world, fleet_arn) == {"env": "prod"}
