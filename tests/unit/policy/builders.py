"""Small builders for policy tests: images, shares and policies from short YAML."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.policy import Policy
from govbot.policy.loader import parse_policy

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OWNER = "000000000000"
TRUSTED = "111111111111"
LISTED = "222222222222"
ORG_MEMBER = "333333333333"
OUTSIDER = "999999999999"


def share(account: str, *, fleet: bool = False, builder: bool = False) -> SharedAccountPermission:
    """One share-list entry."""
    return SharedAccountPermission(
        account_id=account,
        permissions=Permissions(allow_fleet=fleet, allow_image_builder=builder),
    )


def image(
    name: str = "prod-web",
    *shares: SharedAccountPermission,
    tags: dict[str, str] | None = None,
) -> ImageSnapshot:
    """An image snapshot in us-east-1 owned by OWNER."""
    return ImageSnapshot(
        ref=ImageRef(account_id=OWNER, region="us-east-1", name=name),
        tags=tags or {},
        shared_with=shares,
    )


def policy(body: str, *, mode: str = "enforce") -> Policy:
    """A policy from a YAML body (dedented); version and mode are prepended."""
    return parse_policy(f"version: 1\nmode: {mode}\n" + textwrap.dedent(body), "test.yaml")
