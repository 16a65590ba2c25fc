"""Reads: snapshot building, pagination of every paged call, not-found handling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from govbot.domain import ImageRef, Permissions, SharedAccountPermission
from govbot.gateways.appstream import AppStreamGateway, FleetUsage, paginate
from tests.unit.gateways_appstream.stubs import StubSession

OWNER = "111122223333"
A, B, C = "444455556666", "777788889999", "121212121212"
REGION = "eu-west-1"
REF = ImageRef(account_id=OWNER, region=REGION, name="Gold")
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _image(name: str = "Gold", **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Arn": f"arn:aws:appstream:{REGION}:{OWNER}:image/{name}",
        "State": "AVAILABLE",
        "Visibility": "PRIVATE",
        "CreatedTime": CREATED,
        **extra,
    }


def _share(account: str, fleet: bool, builder: bool) -> dict[str, Any]:
    return {
        "sharedAccountId": account,
        "imagePermissions": {"allowFleet": fleet, "allowImageBuilder": builder},
    }


@pytest.fixture
def session() -> StubSession:
    return StubSession()


@pytest.fixture
def gateway(session: StubSession) -> AppStreamGateway:
    return AppStreamGateway(session)


def test_describe_image_reads_every_permissions_page(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    stub = session.stub()
    stub.add_response(
        "describe_images", {"Images": [_image(Description="golden")]}, {"Names": ["Gold"]}
    )
    stub.add_response(
        "describe_image_permissions",
        {
            "Name": "Gold",
            "SharedImagePermissionsList": [_share(A, True, False)],
            "NextToken": "page-2",
        },
        {"Name": "Gold", "MaxResults": 500},
    )
    stub.add_response(
        "describe_image_permissions",
        {
            "Name": "Gold",
            "SharedImagePermissionsList": [_share(B, False, True)],
            "NextToken": "page-3",
        },
        {"Name": "Gold", "MaxResults": 500, "NextToken": "page-2"},
    )
    stub.add_response(
        "describe_image_permissions",
        {
            "Name": "Gold",
            "SharedImagePermissionsList": [{"sharedAccountId": C, "imagePermissions": {}}],
        },
        {"Name": "Gold", "MaxResults": 500, "NextToken": "page-3"},
    )
    stub.add_response(
        "list_tags_for_resource", {"Tags": {"golden": "true"}}, {"ResourceArn": REF.arn}
    )

    snapshot = gateway.describe_image(REF)

    assert snapshot is not None
    assert snapshot.ref == REF
    assert snapshot.shared_with == (
        SharedAccountPermission(account_id=A, permissions=Permissions(allow_fleet=True)),
        SharedAccountPermission(account_id=B, permissions=Permissions(allow_image_builder=True)),
        SharedAccountPermission(account_id=C, permissions=Permissions()),
    )
    assert snapshot.tags == {"golden": "true"}
    assert snapshot.state == "AVAILABLE"
    assert snapshot.visibility == "PRIVATE"
    assert snapshot.created_time == CREATED
    assert snapshot.description == "golden"
    session.assert_all_consumed()


def test_describe_image_state_change_reason(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    stub = session.stub()
    reason = {"Code": "IMAGE_COPY_FAILURE", "Message": "quota"}
    stub.add_response(
        "describe_images", {"Images": [_image(State="FAILED", StateChangeReason=reason)]}
    )
    stub.add_response("describe_image_permissions", {"SharedImagePermissionsList": []})
    stub.add_response("list_tags_for_resource", {"Tags": {}})
    snapshot = gateway.describe_image(REF)
    assert snapshot is not None
    assert snapshot.state == "FAILED"
    assert snapshot.state_change_reason == "IMAGE_COPY_FAILURE: quota"
    assert snapshot.shared_with == ()


def test_describe_image_missing_is_none(session: StubSession, gateway: AppStreamGateway) -> None:
    session.stub().add_client_error(
        "describe_images", "ResourceNotFoundException", "image not found", 404
    )
    assert gateway.describe_image(REF) is None


def test_describe_image_other_name_only_is_none(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    session.stub().add_response("describe_images", {"Images": [_image("NotGold")]})
    assert gateway.describe_image(REF) is None


def test_describe_image_deleted_between_calls_is_none(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    stub = session.stub()
    stub.add_response("describe_images", {"Images": [_image()]})
    stub.add_client_error("describe_image_permissions", "ResourceNotFoundException", "gone", 404)
    assert gateway.describe_image(REF) is None


def test_shared_with_me_image_has_no_share_list(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    stub = session.stub()
    theirs = _image(Visibility="SHARED", Arn=f"arn:aws:appstream:{REGION}:{A}:image/Gold")
    stub.add_response("describe_images", {"Images": [theirs]})
    stub.add_response(
        "list_tags_for_resource", {"Tags": {}}, {"ResourceArn": theirs["Arn"]}
    )  # no DescribeImagePermissions call
    snapshot = gateway.describe_image(REF)
    assert snapshot is not None
    assert snapshot.ref.account_id == A  # the owner, from the ARN
    session.assert_all_consumed()


def test_list_images_pages_of_25_without_details(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    stub = session.stub()
    first = [_image(f"img{i}") for i in range(25)]
    stub.add_response(
        "describe_images",
        {"Images": first, "NextToken": "t"},
        {"Type": "PRIVATE", "MaxResults": 25},
    )
    stub.add_response(
        "describe_images",
        {"Images": [_image("last")]},
        {"Type": "PRIVATE", "MaxResults": 25, "NextToken": "t"},
    )
    names = [s.ref.name for s in gateway.list_images(OWNER, REGION, details=False)]
    assert names == [f"img{i}" for i in range(25)] + ["last"]
    session.assert_all_consumed()


def test_list_images_with_details_skips_images_deleted_meanwhile(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    stub = session.stub()
    stub.add_response(
        "describe_images",
        {"Images": [_image("gone"), _image("kept")]},
        {"Type": "SHARED", "MaxResults": 25},
    )
    stub.add_client_error("describe_image_permissions", "ResourceNotFoundException", "gone")
    stub.add_response(
        "describe_image_permissions", {"SharedImagePermissionsList": [_share(A, True, True)]}
    )
    stub.add_response("list_tags_for_resource", {"Tags": {"k": "v"}})
    snapshots = list(gateway.list_images(OWNER, REGION, visibility="SHARED"))
    assert [s.ref.name for s in snapshots] == ["kept"]
    assert snapshots[0].permissions_of(A) == Permissions(allow_fleet=True, allow_image_builder=True)
    assert snapshots[0].tags == {"k": "v"}


def test_fleets_using_matches_by_arn_and_by_name_across_pages(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    def fleet(name: str, **image: str) -> dict[str, Any]:
        return {
            "Name": name,
            "Arn": f"arn:aws:appstream:{REGION}:{OWNER}:fleet/{name}",
            "InstanceType": "stream.standard.small",
            "State": "RUNNING",
            "ComputeCapacityStatus": {"Desired": 2, "InUse": 1},
            **image,
        }

    stub = session.stub()
    stub.add_response(
        "describe_fleets",
        {
            "Fleets": [fleet("by-name", ImageName="Gold"), fleet("other", ImageName="Silver")],
            "NextToken": "n",
        },
        {},
    )
    stub.add_response(
        "describe_fleets",
        {"Fleets": [fleet("by-arn", ImageArn=REF.arn), fleet("no-image")]},
        {"NextToken": "n"},
    )
    found = gateway.fleets_using(REF, OWNER, REGION)
    assert [f.name for f in found] == ["by-name", "by-arn"]
    assert found[0] == FleetUsage(
        name="by-name",
        arn=f"arn:aws:appstream:{REGION}:{OWNER}:fleet/by-name",
        state="RUNNING",
        account_id=OWNER,
        region=REGION,
        image_name="Gold",
        image_arn=None,
        desired_capacity=2,
        in_use=1,
    )


def test_fleets_in_another_account_match_only_by_arn(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    stub = session.stub()
    same_name = {
        "Name": "f1",
        "Arn": "arn:x",
        "InstanceType": "i",
        "State": "RUNNING",
        "ComputeCapacityStatus": {"Desired": 1},
        "ImageName": "Gold",
    }
    by_arn = {**same_name, "Name": "f2", "ImageName": None, "ImageArn": REF.arn}
    del by_arn["ImageName"]
    stub.add_response("describe_fleets", {"Fleets": [same_name, by_arn]})
    assert [f.name for f in gateway.fleets_using(REF.arn, A, REGION)] == ["f2"]


def test_paginate_stops_on_a_repeated_token() -> None:
    calls: list[dict[str, Any]] = []

    def call(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return {"Items": [len(calls)], "NextToken": "same"}

    assert list(paginate(call, "Items", Name="x")) == [1, 2]
    assert calls == [{"Name": "x"}, {"Name": "x", "NextToken": "same"}]


def test_paginate_tolerates_missing_result_key() -> None:
    assert list(paginate(lambda **_: {}, "Items")) == []
