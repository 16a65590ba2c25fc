"""Caller identity: SigV4 scope parsing, the registry and the default sandbox user."""

from __future__ import annotations

import pytest

from govbot_sandbox.emulator.identity import (
    IdentityResolver,
    parse_authorization,
    region_from_host,
)

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/eu-central-1/appstream/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def test_parse_authorization_reads_key_region_service() -> None:
    scope = parse_authorization(AUTH)
    assert scope is not None
    assert (scope.access_key_id, scope.region, scope.service) == (
        "AKIAEXAMPLE",
        "eu-central-1",
        "appstream",
    )


def test_parse_authorization_without_sigv4_is_none() -> None:
    assert parse_authorization("") is None
    assert parse_authorization("Bearer x") is None


def test_region_from_host() -> None:
    assert region_from_host("https://appstream2.ap-southeast-2.amazonaws.com/") == "ap-southeast-2"
    assert region_from_host("http://127.0.0.1:9000/") is None


def test_registered_identity_wins() -> None:
    resolver = IdentityResolver()
    resolver.register("AKIAHUB", "111122223333", "arn:aws:iam::111122223333:user/alice")
    identity = resolver.resolve("AKIAHUB")
    assert identity.account_id == "111122223333"
    assert identity.principal_arn == "arn:aws:iam::111122223333:user/alice"
    assert identity.principal_type == "IAMUser"


def test_default_identity_uses_moto_account_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "444455556666")
    identity = IdentityResolver().resolve("unknown")
    assert identity.account_id == "444455556666"
    assert identity.principal_arn == "arn:aws:iam::444455556666:user/sandbox-user"


def test_default_identity_without_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    assert IdentityResolver().resolve("").account_id == "123456789012"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "111122223333"), "access_key_id must be a non-empty"),
        (("AK", "1234"), "account_id must be 12 digits"),
        (("AK", "111122223333", None, "Robot"), "principal_type must be one of"),
        (("AK", "111122223333", "alice"), "principal_arn must be an ARN"),
    ],
)
def test_register_rejects_bad_input(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IdentityResolver().register(*args)
