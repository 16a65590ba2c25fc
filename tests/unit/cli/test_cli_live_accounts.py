"""The live endpoint's identity map and request dispatch rules (pure, no server)."""

from __future__ import annotations

import pytest

from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.live.accounts import (
    CONSUMER_ACCOUNT,
    EXTERNAL_ACCOUNT,
    TRUSTED_ACCOUNT,
    identity_map,
    parse_identity,
)
from govbot_sandbox.live.endpoint import is_appstream, request_headers

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIAOWNERALICE000000/20260101/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host, Signature=abc"
)


def test_demo_world_has_owner_trusted_consumer_and_external_accounts() -> None:
    accounts = {who.account_id: who for who in identity_map().values()}
    assert set(accounts) == {HUB_ACCOUNT, TRUSTED_ACCOUNT, CONSUMER_ACCOUNT, EXTERNAL_ACCOUNT}
    roles = [w for w in identity_map().values() if w.principal_type == "AssumedRole"]
    assert [r.principal_arn for r in roles] == [
        f"arn:aws:sts::{HUB_ACCOUNT}:assumed-role/Admin/bob"
    ]


def test_accounts_option_adds_users_and_roles() -> None:
    user = parse_identity("AKIAERIN000000000001=arn:aws:iam::444455556666:user/erin")
    role = parse_identity("ASIAOPS0000000000001=arn:aws:sts::444455556666:assumed-role/Ops/sam")
    assert (user.account_id, user.principal_type, user.name) == ("444455556666", "IAMUser", "erin")
    assert (role.account_id, role.principal_type, role.name) == (
        "444455556666",
        "AssumedRole",
        "sam",
    )
    merged = identity_map([user])
    assert merged[user.access_key_id] == user
    assert len(merged) == len(identity_map()) + 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-equals", "expected KEY=ARN"),
        ("lower=arn:aws:iam::444455556666:user/erin", "access key id must be"),
        ("AKIAERIN000000000001=arn:aws:iam::4444:user/erin", "ARN must be"),
        ("AKIAERIN000000000001=arn:aws:iam::444455556666:role/Ops", "ARN must be"),
    ],
)
def test_bad_account_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_identity(spec)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HTTP_X_AMZ_TARGET": "PhotonAdminProxyService.DescribeImages"}, True),
        ({"PATH_INFO": "/service/PhotonAdminProxyService/operation/DescribeImages"}, True),
        ({"HTTP_AUTHORIZATION": SIGNED.format(service="appstream")}, True),
        ({"HTTP_X_AMZ_TARGET": "AmazonSQS.ListQueues"}, False),
        ({"HTTP_AUTHORIZATION": SIGNED.format(service="sqs")}, False),
        ({"PATH_INFO": "/"}, False),
    ],
)
def test_appstream_requests_are_recognised(environ: dict[str, str], expected: bool) -> None:
    assert is_appstream(environ) is expected


def test_request_headers_come_back_with_their_names() -> None:
    headers = request_headers(
        {"HTTP_X_AMZ_TARGET": "T", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "2"}
    )
    assert headers == {
        "X-Amz-Target": "T",
        "Content-Type": "application/json",
        "Content-Length": "2",
    }
