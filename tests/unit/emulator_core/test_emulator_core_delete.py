"""DeleteImage: refused while used by a fleet or shared; public images are not yours."""

from __future__ import annotations

import pytest

from govbot_sandbox.emulator.contract import AppStreamError
from tests.unit.emulator_core.conftest import CONSUMER, OWNER, REGION, Harness


def test_delete_refused_while_an_owner_fleet_uses_the_image(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden")
    world.backend.seed_fleet(OWNER, REGION, "prod", arn)
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DeleteImage", Name="golden")
    assert err.value.code == "ResourceInUseException"
    assert f"{OWNER}/prod" in err.value.message


def test_delete_refused_while_a_consumer_fleet_uses_the_image(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden")
    world.backend.seed_fleet(CONSUMER, REGION, "theirs", arn)
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DeleteImage", Name="golden")
    assert err.value.code == "ResourceInUseException"
    assert f"{CONSUMER}/theirs" in err.value.message


def test_delete_refused_while_shared(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (False, True)})
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DeleteImage", Name="golden")
    assert err.value.code == "ResourceInUseException"
    assert CONSUMER in err.value.message


def test_delete_succeeds_once_unshared_and_unused(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, False)})
    world.call(OWNER, "DeleteImagePermissions", Name="golden", SharedAccountId=CONSUMER)
    out = world.call(OWNER, "DeleteImage", Name="golden")
    assert (out["Image"]["Arn"], out["Image"]["State"]) == (arn, "DELETING")
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DescribeImages", Names=["golden"])
    assert err.value.code == "ResourceNotFoundException"


def test_public_image_cannot_be_deleted(world: Harness) -> None:
    public = world.call(OWNER, "DescribeImages", Type="PUBLIC")["Images"][0]["Name"]
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DeleteImage", Name=public)
    assert err.value.code == "OperationNotPermittedException"


def test_deleting_an_unknown_image_is_not_found(world: Harness) -> None:
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DeleteImage", Name="ghost")
    assert err.value.code == "ResourceNotFoundException"
    assert "'ghost'" in err.value.message
