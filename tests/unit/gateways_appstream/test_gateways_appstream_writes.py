"""Writes, error translation, client configuration and assume-role credential caching."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from govbot.domain import ImageRef, Permissions
from govbot.gateways.appstream import (
    USER_AGENT_MARKER,
    AlreadyExists,
    AppStreamGateway,
    AppStreamGatewayError,
    ImageNotFound,
    LimitExceeded,
    NotAvailable,
    ResourceInUse,
    Throttled,
    TransientError,
    translate_error,
)
from tests.unit.gateways_appstream.stubs import StubSession

OWNER, SPOKE, OTHER = "111122223333", "999988887777", "444455556666"
REGION = "eu-west-1"
REF = ImageRef(account_id=OWNER, region=REGION, name="Gold")


@pytest.fixture
def session() -> StubSession:
    return StubSession()


@pytest.fixture
def gateway(session: StubSession) -> AppStreamGateway:
    return AppStreamGateway(session)


def test_update_permissions_sends_lower_camel_flags(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    session.stub().add_response(
        "update_image_permissions",
        {},
        {
            "Name": "Gold",
            "SharedAccountId": OTHER,
            "ImagePermissions": {"allowFleet": False, "allowImageBuilder": True},
        },
    )
    gateway.update_permissions(REF, OTHER, Permissions(allow_image_builder=True))
    session.assert_all_consumed()


def test_delete_permissions(session: StubSession, gateway: AppStreamGateway) -> None:
    session.stub().add_response(
        "delete_image_permissions", {}, {"Name": "Gold", "SharedAccountId": OTHER}
    )
    gateway.delete_permissions(REF, OTHER)
    session.assert_all_consumed()


def test_copy_image_returns_destination_name(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    session.stub().add_response(
        "copy_image",
        {"DestinationImageName": "Gold-usw2"},
        {
            "SourceImageName": "Gold",
            "DestinationImageName": "Gold-usw2",
            "DestinationRegion": "us-west-2",
            "DestinationImageDescription": "replica",
        },
    )
    assert gateway.copy_image(REF, "us-west-2", "Gold-usw2", "replica") == "Gold-usw2"


def test_copy_image_without_description_omits_it(
    session: StubSession, gateway: AppStreamGateway
) -> None:
    session.stub().add_response(
        "copy_image",
        {"DestinationImageName": "Gold-2"},
        {"SourceImageName": "Gold", "DestinationImageName": "Gold-2", "DestinationRegion": REGION},
    )
    assert gateway.copy_image(REF, REGION, "Gold-2", None) == "Gold-2"


def test_tag_untag_and_delete(session: StubSession, gateway: AppStreamGateway) -> None:
    stub = session.stub()
    stub.add_response("tag_resource", {}, {"ResourceArn": REF.arn, "Tags": {"a": "1"}})
    stub.add_response("untag_resource", {}, {"ResourceArn": REF.arn, "TagKeys": ["a"]})
    stub.add_response("delete_image", {}, {"Name": "Gold"})
    gateway.tag_image(REF, {"a": "1"})
    gateway.untag_image(REF, ["a"])
    gateway.delete_image(REF)
    session.assert_all_consumed()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ResourceNotFoundException", ImageNotFound),
        ("ResourceInUseException", ResourceInUse),
        ("LimitExceededException", LimitExceeded),
        ("ResourceNotAvailableException", NotAvailable),
        ("ResourceAlreadyExistsException", AlreadyExists),
        ("ThrottlingException", Throttled),
        ("OperationNotPermittedException", AppStreamGatewayError),
        ("ConcurrentModificationException", AppStreamGatewayError),
    ],
)
def test_client_errors_become_typed(
    session: StubSession, gateway: AppStreamGateway, code: str, expected: type[Exception]
) -> None:
    session.stub().add_client_error("delete_image", code, "it went wrong", 400)
    with pytest.raises(expected) as caught:
        gateway.delete_image(REF)
    error = caught.value
    assert type(error) is expected
    assert isinstance(error, AppStreamGatewayError)
    assert (error.code, error.operation, error.message) == (code, "DeleteImage", "it went wrong")
    assert str(error) == f"DeleteImage failed with {code}: it went wrong"


def test_lost_connections_become_transient_errors() -> None:
    error = translate_error(EndpointConnectionError(endpoint_url="https://x"), "CopyImage")
    assert type(error) is TransientError
    assert error.code == "EndpointConnectionError"
    assert error.operation == "CopyImage"


def test_clients_are_cached_and_configured(session: StubSession, gateway: AppStreamGateway) -> None:
    first = gateway.client(OWNER, REGION)
    assert gateway.client(OWNER, REGION) is first
    assert gateway.client(OWNER, "us-west-2") is not first
    config = first.meta.config
    assert USER_AGENT_MARKER in config.user_agent_extra
    # botocore's standard conditions, its quota-bound handler replaced (gateways.retries).
    assert config.retries == {"mode": "standard", "total_max_attempts": 6}
    assert [c["region"] for c in session.created] == [REGION, "us-west-2"]


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _credentials(expires: datetime) -> dict[str, Any]:
    return {
        "AccessKeyId": "AKIAEXAMPLEEXAMPLE1",
        "SecretAccessKey": "s",
        "SessionToken": "t",
        "Expiration": expires,
    }


def test_assume_role_into_spoke_with_cached_credentials() -> None:
    base = StubSession("base")
    made: list[StubSession] = []

    def factory(credentials: Any) -> StubSession:
        made.append(StubSession(f"spoke-{credentials['SessionToken']}"))
        return made[-1]

    expiry = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    clock = _Clock(expiry.timestamp() - 3600)
    role = f"arn:aws:iam::{SPOKE}:role/govbot-remediation"
    gateway = AppStreamGateway(
        base,
        session_factory=factory,
        clock=clock,
        role_arn_for=lambda account: role if account == SPOKE else None,
    )
    sts = base.stub("sts", REGION)
    sts.add_response(
        "assume_role",
        {"Credentials": _credentials(expiry)},
        {"RoleArn": role, "RoleSessionName": "govbot"},
    )

    spoke_client = gateway.client(SPOKE, REGION)
    assert gateway.client(SPOKE, REGION) is spoke_client  # no second AssumeRole
    assert len(made) == 1
    assert made[0].stubbers[("appstream", REGION)].client is spoke_client
    assert gateway.client(OWNER, REGION) is base.client("appstream", region_name=REGION)

    # Within the refresh margin of expiry: assume again, build a new client.
    clock.now = expiry.timestamp() - 60
    sts.add_response(
        "assume_role",
        {"Credentials": _credentials(expiry)},
        {"RoleArn": role, "RoleSessionName": "govbot"},
    )
    refreshed = gateway.client(SPOKE, REGION)
    assert len(made) == 2
    assert refreshed is not spoke_client
    base.assert_all_consumed()


def test_assume_role_failure_is_translated() -> None:
    base = StubSession()
    role = f"arn:aws:iam::{SPOKE}:role/govbot-remediation"
    gateway = AppStreamGateway(base, role_arn_for=lambda _account: role)
    base.stub("sts", REGION).add_client_error("assume_role", "AccessDenied", "not allowed", 403)
    with pytest.raises(AppStreamGatewayError) as caught:
        gateway.delete_image(ImageRef(account_id=SPOKE, region=REGION, name="Gold"))
    assert (caught.value.code, caught.value.operation) == ("AccessDenied", "AssumeRole")
