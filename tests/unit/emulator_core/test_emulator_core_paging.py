"""Pagination of DescribeImages (25 max) and DescribeImagePermissions (500 max)."""

from __future__ import annotations

from typing import Any

import pytest

from govbot_sandbox.emulator.contract import AppStreamError
from tests.unit.emulator_core.conftest import OWNER, REGION, Harness


def all_pages(world: Harness, operation: str, key: str, **params: Any) -> list[list[Any]]:
    pages: list[list[Any]] = []
    token: str | None = None
    while True:
        extra: dict[str, Any] = {"NextToken": token} if token else {}
        out = world.call(OWNER, operation, **params, **extra)
        pages.append(out[key])
        token = out.get("NextToken")
        if token is None:
            return pages


def test_describe_images_pages_by_25_by_default(world: Harness) -> None:
    for n in range(60):
        world.backend.seed_image(OWNER, REGION, f"img-{n:02d}")
    pages = all_pages(world, "DescribeImages", "Images", Type="PRIVATE")
    assert [len(p) for p in pages] == [25, 25, 10]
    names = [i["Name"] for p in pages for i in p]
    assert names == [f"img-{n:02d}" for n in range(60)]


def test_describe_images_honours_max_results(world: Harness) -> None:
    for n in range(5):
        world.backend.seed_image(OWNER, REGION, f"img-{n}")
    pages = all_pages(world, "DescribeImages", "Images", Type="PRIVATE", MaxResults=2)
    assert [len(p) for p in pages] == [2, 2, 1]


def test_describe_images_rejects_a_forged_token(world: Harness) -> None:
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DescribeImages", NextToken="not-a-token")
    assert err.value.code == "ValidationException"
    assert "NextToken" in err.value.message


def test_token_is_bound_to_its_filters(world: Harness) -> None:
    for n in range(30):
        world.backend.seed_image(OWNER, REGION, f"img-{n:02d}")
    token = world.call(OWNER, "DescribeImages", Type="PRIVATE")["NextToken"]
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DescribeImages", Type="PUBLIC", NextToken=token)
    assert err.value.code == "ValidationException"


def test_describe_images_names_and_arns_together_is_refused(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden")
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DescribeImages", Names=["golden"], Arns=[arn])
    assert err.value.code == "InvalidParameterCombinationException"
    assert world.call(OWNER, "DescribeImages", Arns=[arn])["Images"][0]["Name"] == "golden"


def test_describe_image_permissions_pages_and_filters(world: Harness) -> None:
    accounts = {f"{n:012d}": (True, n % 2 == 0) for n in range(900_000_000_000, 900_000_000_012)}
    world.backend.seed_image(OWNER, REGION, "golden", shared_with=accounts)
    pages = all_pages(
        world,
        "DescribeImagePermissions",
        "SharedImagePermissionsList",
        Name="golden",
        MaxResults=5,
    )
    assert [len(p) for p in pages] == [5, 5, 2]
    seen = [e["sharedAccountId"] for p in pages for e in p]
    assert seen == sorted(accounts)
    filtered = world.call(
        OWNER,
        "DescribeImagePermissions",
        Name="golden",
        SharedAwsAccountIds=["900000000002", "900000000003"],
    )
    assert filtered["Name"] == "golden"
    assert filtered["SharedImagePermissionsList"] == [
        {
            "sharedAccountId": "900000000002",
            "imagePermissions": {"allowFleet": True, "allowImageBuilder": True},
        },
        {
            "sharedAccountId": "900000000003",
            "imagePermissions": {"allowFleet": True, "allowImageBuilder": False},
        },
    ]
    assert "NextToken" not in filtered


def test_describe_image_permissions_max_results_is_capped_at_500(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DescribeImagePermissions", Name="golden", MaxResults=501)
    assert err.value.code == "ValidationException"


def test_describe_image_permissions_rejects_a_forged_token(world: Harness) -> None:
    world.backend.seed_image(OWNER, REGION, "golden")
    with pytest.raises(AppStreamError) as err:
        world.call(OWNER, "DescribeImagePermissions", Name="golden", NextToken="eyJ4IjogMX0=")
    assert err.value.code == "ValidationException"


def test_describe_fleets_pages(world: Harness) -> None:
    arn = world.backend.seed_image(OWNER, REGION, "golden")
    for n in range(30):
        world.backend.seed_fleet(OWNER, REGION, f"fleet-{n:02d}", arn)
    pages = all_pages(world, "DescribeFleets", "Fleets")
    assert [len(p) for p in pages] == [25, 5]
