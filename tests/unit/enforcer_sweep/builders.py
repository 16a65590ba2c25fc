"""The drift sweep's unit-test world: its policy, lanes, an enforcer on the shared fakes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from govbot.domain import ImageRef, Permissions
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.ports import EnforcerDeps
from govbot.policy import Policy
from govbot.policy.judge import Judge
from govbot.policy.loader import parse_policy
from tests.fakes import FakeAppStream, FakeLedger

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HUB = "123456789012"
SPOKE = "210987654321"
EAST, WEST = "us-east-1", "eu-west-1"
TRUSTED = "111111111111"
OUTSIDER = "999999999999"

POLICY = """
version: 1
mode: enforce
trusted_accounts:
  - id: "111111111111"
    name: shared-services
rules:
  - id: no-untrusted-builders
    type: no_image_builder_for_untrusted
  - id: secrets-never-shared
    type: never_share
    images:
      tags: {classification: confidential}
  - id: audit-fleet-dev
    type: fleet_only_for_listed
    mode: audit
    accounts: []
    images:
      names: ["dev-*"]
"""


def policy(mode: str = "enforce") -> Policy:
    """The unit policy (optionally in audit mode)."""
    return parse_policy(POLICY.replace("mode: enforce", f"mode: {mode}", 1), source="unit")


def seed(
    fake: FakeAppStream,
    account: str,
    region: str,
    name: str,
    *,
    shares: dict[str, tuple[bool, bool]] | None = None,
    tags: dict[str, str] | None = None,
) -> ImageRef:
    """Put an image in ``fake`` shared as account -> (fleet, image builder)."""
    ref = ImageRef(account_id=account, region=region, name=name)
    permissions = {
        acct: Permissions(allow_fleet=f, allow_image_builder=b)
        for acct, (f, b) in (shares or {}).items()
    }
    fake.seed(ref, permissions, tags=tags)
    return ref


def enforcer(
    appstream: FakeAppStream,
    ledger: FakeLedger,
    *,
    mode: str = "enforce",
    accounts: Iterable[str] = (HUB, SPOKE),
    regions: Iterable[str] = (EAST, WEST),
) -> Enforcer:
    """An enforcer on the fakes, governing ``accounts`` x ``regions``."""
    loaded = policy(mode)
    return Enforcer(
        EnforcerDeps(
            appstream=appstream,
            ledger=ledger,
            judge=Judge(lambda: loaded),
            governed_accounts=frozenset(accounts),
            governed_regions=frozenset(regions),
            bot_principal_arn="arn:aws:sts::123456789012:assumed-role/govbot/x",
            clock=lambda: NOW,
        )
    )


def scheduled_event(event_id: str = "run-1", **extra: Any) -> dict[str, Any]:
    """EventBridge's ``Scheduled Event`` envelope for the sweep rule."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": HUB,
        "time": "2026-06-01T12:00:00Z",
        "region": EAST,
        "resources": [f"arn:aws:events:{EAST}:{HUB}:rule/govbot-drift-sweep"],
        "detail": {},
        **extra,
    }
