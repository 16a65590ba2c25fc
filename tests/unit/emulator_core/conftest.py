"""Fixtures for the emulator core: a backend on a manual clock with a recording sink."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from govbot_sandbox.emulator.backend import AppStreamBackend
from govbot_sandbox.emulator.clock import ManualClock
from govbot_sandbox.emulator.contract import CallContext

OWNER = "111111111111"
CONSUMER = "222222222222"
OTHER = "333333333333"
REGION = "us-east-1"
DEST = "eu-west-1"
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def ctx_for(account: str, region: str = REGION) -> CallContext:
    """A caller in ``account``/``region`` (an IAM user named after the account)."""
    return CallContext(
        account_id=account,
        region=region,
        principal_arn=f"arn:aws:iam::{account}:user/alice",
        access_key_id="AKIAEXAMPLE",
        user_agent="pytest/1.0",
    )


class Harness:
    """The backend plus the events it emitted and a call helper per account."""

    def __init__(self) -> None:
        self.clock = ManualClock(START)
        self.events: list[dict[str, Any]] = []
        self.backend = AppStreamBackend(clock=self.clock, event_sink=self.events.append)

    def call(
        self, account: str, operation: str, region: str = REGION, **params: Any
    ) -> dict[str, Any]:
        return self.backend.dispatch(operation, params, ctx_for(account, region))

    def image(self, account: str, name: str, region: str = REGION) -> dict[str, Any]:
        images = self.call(account, "DescribeImages", region, Names=[name])["Images"]
        assert len(images) == 1
        return images[0]

    def fleet(self, account: str, name: str, region: str = REGION) -> dict[str, Any]:
        fleets = self.call(account, "DescribeFleets", region, Names=[name])["Fleets"]
        return fleets[0]


@pytest.fixture
def world() -> Harness:
    return Harness()
