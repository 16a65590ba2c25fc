"""Typed domain vocabulary shared by every part of govbot.

Everything here is pure data: no AWS calls, no I/O. Gateways translate AWS shapes into
these types; the policy engine, the enforcer, the replicator and the notifier speak them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from govbot.exit_facts import ComputeSettings, ImageExport, ImportSource

IMAGE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$")
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")

PermissionKind = Literal["fleet", "image_builder"]
Mode = Literal["audit", "enforce"]
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITY_ORDER: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")


def highest_severity(
    severities: Iterable[str], *, default: Severity = "medium", failed: bool = False
) -> Severity:
    """The most severe of ``severities`` (unknown values ignored; ``default`` when none);
    ``critical`` when ``failed`` (a remedy that did not happen leaves the worst case)."""
    if failed:
        return "critical"
    given = set(severities)
    known = [s for s in SEVERITY_ORDER if s in given]
    return known[-1] if known else default


# What the outbox can ask the notifier to say: the name of a registered message kind
# (``govbot.kinds``: one module per kind with its payload model, renderer and maximum
# severity). Plain text here so a kind registered later (a plugin, a test) is one too; the
# notifier and the policy's routes check names against the registry.
MessageKind = str


class Permissions(BaseModel):
    """What one account may do with a shared image (AppStream ``ImagePermissions``)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    allow_fleet: bool = False
    allow_image_builder: bool = False

    def is_empty(self) -> bool:
        """True when the account has no permission left (the share is gone)."""
        return not (self.allow_fleet or self.allow_image_builder)

    def granted(self) -> frozenset[PermissionKind]:
        """The permission kinds this grant contains."""
        kinds: set[PermissionKind] = set()
        if self.allow_fleet:
            kinds.add("fleet")
        if self.allow_image_builder:
            kinds.add("image_builder")
        return frozenset(kinds)

    def without(self, kinds: frozenset[PermissionKind] | set[PermissionKind]) -> Permissions:
        """A copy with the given permission kinds removed."""
        return Permissions(
            allow_fleet=self.allow_fleet and "fleet" not in kinds,
            allow_image_builder=self.allow_image_builder and "image_builder" not in kinds,
        )


class SharedAccountPermission(BaseModel):
    """One entry of an image's share list (AppStream ``SharedImagePermissions``)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    account_id: str = Field(pattern=ACCOUNT_ID_PATTERN.pattern)
    permissions: Permissions


class ImageRef(BaseModel):
    """Identity of an image: owner account, region and name."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    account_id: str
    region: str
    name: str

    @property
    def arn(self) -> str:
        return f"arn:aws:appstream:{self.region}:{self.account_id}:image/{self.name}"

    @classmethod
    def from_arn(cls, arn: str) -> ImageRef:
        """Parse ``arn:aws:appstream:REGION:ACCOUNT:image/NAME`` (spaces tolerated)."""
        parts = arn.replace(" ", "").split(":", 5)
        if len(parts) != 6 or parts[2] != "appstream" or not parts[5].startswith("image/"):
            raise ValueError(f"not an AppStream image ARN: {arn!r}")
        return cls(region=parts[3], account_id=parts[4], name=parts[5][len("image/") :])


class ImageUse(BaseModel):
    """A fleet or image builder that runs an image (read from DescribeFleets or
    DescribeImageBuilders of the account that owns the fleet or builder)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    kind: PermissionKind  # "fleet" or "image_builder": the permission the use needs
    name: str
    arn: str
    account_id: str
    region: str
    state: str = "UNKNOWN"


class ImageSnapshot(BaseModel):
    """The current state of an image as read from AppStream, with its share list.

    An image another account owns ("shared with me") is judged as seen from a governed
    account: ``viewer_account_id`` is that account and ``used_by`` its fleets and image
    builders running the image (both empty for the owner's own view).
    """

    model_config = ConfigDict(defer_build=True, frozen=True)

    ref: ImageRef
    state: str = "AVAILABLE"
    visibility: str = "PRIVATE"
    tags: dict[str, str] = Field(default_factory=dict)
    shared_with: tuple[SharedAccountPermission, ...] = ()
    created_time: datetime | None = None
    description: str | None = None
    state_change_reason: str | None = None
    viewer_account_id: str | None = None
    used_by: tuple[ImageUse, ...] = ()
    # Ways out and in (govbot.exit_facts): exports to AMIs, the import source, and the
    # settings of the owner's builders and fleets made from the image. Empty unless read.
    exports: tuple[ImageExport, ...] = ()
    imported_from: ImportSource | None = None
    compute: tuple[ComputeSettings, ...] = ()

    def permissions_of(self, account_id: str) -> Permissions:
        """The permissions granted to ``account_id`` (empty when not shared with it)."""
        for share in self.shared_with:
            if share.account_id == account_id:
                return share.permissions
        return Permissions()
