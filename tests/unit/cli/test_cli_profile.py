"""``--profile`` reaches every AWS call the CLI makes, the STS look-ups included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from govbot import wiring
from govbot.domain import ImageSnapshot
from govbot_cli import CliDeps
from govbot_cli.deps import default_caller_account
from tests.unit.cli.runner import DEMO_POLICY, run_cli

HOME = "123456789012"
SPOKE = "210987654321"
NOW = datetime(2026, 11, 27, 16, tzinfo=UTC)


class EmptyAppStream:
    """An account with no images; records who was listed."""

    def __init__(self) -> None:
        self.listed: list[tuple[str, str]] = []

    def describe_image(
        self, ref: Any, *, listed: bool = False, tags: bool = False
    ) -> ImageSnapshot | None:
        return None

    def list_images(
        self, account_id: str, region: str, *, visibility: Any = "PRIVATE", details: bool = True
    ) -> Iterator[ImageSnapshot]:
        if visibility == "PRIVATE":
            self.listed.append((account_id, region))
        yield from ()

    def list_fleets(self, account_id: str, region: str) -> list[Any]:
        return []

    def list_image_builders(self, account_id: str, region: str) -> list[Any]:
        return []


class Callers:
    """The STS look-up: answers per profile, records each ask."""

    def __init__(self, by_profile: dict[str | None, str]) -> None:
        self.by_profile = by_profile
        self.asked: list[tuple[str, str | None]] = []

    def __call__(self, region: str, profile: str | None = None) -> str:
        self.asked.append((region, profile))
        return self.by_profile[profile]


def _deps(callers: Callers, reader: EmptyAppStream, roles: list[Any]) -> CliDeps:
    def appstream_as(endpoint: str | None, profile: str | None, role_for: Any) -> Any:
        roles.append((profile, role_for(HOME), role_for(SPOKE)))
        return reader

    return CliDeps(
        appstream=lambda _endpoint: cast(Any, reader),
        appstream_as=appstream_as,
        caller_account=callers,
        now=lambda: NOW,
        org_members=lambda _profile, _endpoint, _cache: frozenset(),
    )


def test_role_name_asks_sts_with_the_profile_for_the_home_account() -> None:
    # The ambient credentials belong to another account: asking them would assume the role
    # in the profile's own account too (no spoke role there, as deployed).
    callers = Callers({None: "555555555555", "audit": HOME})
    reader = EmptyAppStream()
    roles: list[Any] = []
    result = run_cli(
        "check", "--region", "us-east-1", "--accounts", f"{HOME},{SPOKE}",
        "--role-name", "govbot-spoke", "--profile", "audit", "--policy", DEMO_POLICY,
        deps=_deps(callers, reader, roles),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert callers.asked == [("us-east-1", "audit")]
    assert roles == [("audit", None, f"arn:aws:iam::{SPOKE}:role/govbot-spoke")]


def test_default_account_is_the_profiles_own() -> None:
    callers = Callers({None: "555555555555", "audit": HOME})
    reader = EmptyAppStream()
    result = run_cli(
        "check", "--region", "eu-west-1", "--all", "--profile", "audit",
        "--policy", DEMO_POLICY, deps=_deps(callers, reader, []),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert callers.asked == [("eu-west-1", "audit")]
    assert reader.listed == [(HOME, "eu-west-1")]


class FakeSts:
    def __init__(self, account: str) -> None:
        self.account = account

    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": self.account, "Arn": f"arn:aws:iam::{self.account}:user/x"}


class FakeSession:
    def __init__(self, account: str) -> None:
        self.account = account
        self.clients: list[tuple[str, str | None]] = []

    def client(self, name: str, region_name: str | None = None, **_: Any) -> FakeSts:
        self.clients.append((name, region_name))
        return FakeSts(self.account)


def test_the_default_sts_look_up_uses_the_profiles_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions = {None: FakeSession("555555555555"), "audit": FakeSession(HOME)}
    monkeypatch.setattr(wiring, "session", lambda profile=None: sessions[profile])
    assert default_caller_account("us-east-1", "audit") == HOME
    assert default_caller_account("us-east-1") == "555555555555"
    assert sessions["audit"].clients == [("sts", "us-east-1")]
