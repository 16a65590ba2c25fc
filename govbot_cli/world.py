"""The world file of ``govbot simulate``: accounts, regions, images and fleets, in memory.

A world is what AppStream (and AWS Organizations) would answer while govbot handles the
simulated events. It is JSON or YAML; ``govbot simulate --world-schema`` prints its JSON
Schema, and docs/simulate.md describes it with an example.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govbot.domain import (
    ACCOUNT_ID_PATTERN,
    IMAGE_NAME_PATTERN,
    ImageRef,
    ImageSnapshot,
    Permissions,
    SharedAccountPermission,
)
from govbot.regions import UnknownRegionError, check_region

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
_ACCOUNT = ACCOUNT_ID_PATTERN.pattern
_REGION = r"^[a-z]{2,4}(?:-[a-z]+)+-\d+$"


class WorldError(ValueError):
    """The world file cannot be read or does not match the schema: one line per problem,
    each naming the file, the field path, what was expected and the line (as a policy's)."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{path}: {problem}" for problem in self.problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorldShare(_Strict):
    """One account an image is shared with, and what it may do with it."""

    account: str = Field(pattern=_ACCOUNT, description="the 12-digit grantee account")
    fleet: bool = Field(False, description="allowFleet: may run fleets from the image")
    image_builder: bool = Field(False, description="allowImageBuilder: may build from it")


class WorldImage(_Strict):
    """One private image in a governed account and region."""

    name: str = Field(pattern=IMAGE_NAME_PATTERN.pattern)
    owner: str | None = Field(
        None, pattern=_ACCOUNT, description="owner account (default: the world's first account)"
    )
    region: str | None = Field(
        None, pattern=_REGION, description="region (default: the world's first region)"
    )
    state: Literal[
        "PENDING", "AVAILABLE", "FAILED", "COPYING", "DELETING", "CREATING", "IMPORTING"
    ] = "AVAILABLE"
    tags: dict[str, str] = Field(default_factory=dict)
    permissions: list[WorldShare] = Field(
        default_factory=list, description="the share list (DescribeImagePermissions)"
    )


class WorldFleet(_Strict):
    """A fleet running an image: kept in the final world; the enforcer does not read fleets."""

    name: str
    image: str = Field(description="name of the image the fleet runs")
    owner: str | None = Field(None, pattern=_ACCOUNT)
    region: str | None = Field(None, pattern=_REGION)


class World(_Strict):
    """Everything ``govbot simulate`` reads instead of AWS."""

    accounts: list[str] = Field(
        default_factory=lambda: [DEFAULT_ACCOUNT],
        description="governed accounts; the first owns images that name no owner",
    )
    regions: list[str] = Field(
        default_factory=lambda: [DEFAULT_REGION],
        description="governed regions; the first holds images that name no region",
    )
    organization_members: list[str] = Field(
        default_factory=list,
        description="AWS Organizations member accounts (used when the policy trusts them)",
    )
    bot_principals: list[str] = Field(
        default_factory=list,
        description="ARN prefixes or globs of govbot's own role (its calls are ignored)",
    )
    images: list[WorldImage] = Field(default_factory=list)
    fleets: list[WorldFleet] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> World:
        problems: list[str] = []
        for field_name, values, pattern in (
            ("accounts", self.accounts, _ACCOUNT),
            ("organization_members", self.organization_members, _ACCOUNT),
        ):
            for i, value in enumerate(values):
                if not re.match(pattern, value):
                    problems.append(f"{field_name}[{i}]: {value!r} does not match {pattern}")
        for where, region in [
            *((f"regions[{i}]", r) for i, r in enumerate(self.regions)),
            *((f"images[{i}].region", im.region) for i, im in enumerate(self.images)),
            *((f"fleets[{i}].region", fl.region) for i, fl in enumerate(self.fleets)),
        ]:
            if region is not None:
                try:
                    check_region(region, where)
                except UnknownRegionError as exc:
                    problems.append(str(exc))
        if not self.accounts:
            problems.append("accounts: at least one governed account is needed")
        if not self.regions:
            problems.append("regions: at least one governed region is needed")
        seen: set[str] = set()
        for i, image in enumerate(self.images):
            arn = self.ref_of(image).arn if self.accounts and self.regions else image.name
            if arn in seen:
                problems.append(f"images[{i}]: duplicate image {arn}")
            seen.add(arn)
            accounts = [s.account for s in image.permissions]
            if len(set(accounts)) != len(accounts):
                problems.append(f"images[{i}].permissions: an account is listed twice")
        if problems:
            # One problem per line, each starting with its path (the policy's error text
            # parses the paths back to give each its line).
            raise ValueError("\n".join(problems))
        return self

    def ref_of(self, image: WorldImage) -> ImageRef:
        """The image's ARN parts, with the world's defaults filled in."""
        return ImageRef(
            account_id=image.owner or self.accounts[0],
            region=image.region or self.regions[0],
            name=image.name,
        )

    def snapshots(self) -> list[ImageSnapshot]:
        """Every image as the AppStream gateway would return it."""
        return [
            ImageSnapshot(
                ref=self.ref_of(image),
                state=image.state,
                tags=dict(image.tags),
                shared_with=tuple(
                    SharedAccountPermission(
                        account_id=s.account,
                        permissions=Permissions(
                            allow_fleet=s.fleet, allow_image_builder=s.image_builder
                        ),
                    )
                    for s in sorted(image.permissions, key=lambda s: s.account)
                ),
            )
            for image in self.images
        ]


def world_from_snapshots(base: World, snapshots: list[ImageSnapshot]) -> World:
    """``base`` with its images replaced by ``snapshots`` (the world after a simulation)."""
    images = [
        WorldImage(
            name=s.ref.name,
            owner=s.ref.account_id,
            region=s.ref.region,
            state=s.state,
            tags=dict(s.tags),
            permissions=[
                WorldShare(
                    account=p.account_id,
                    fleet=p.permissions.allow_fleet,
                    image_builder=p.permissions.allow_image_builder,
                )
                for p in s.shared_with
            ],
        )
        for s in snapshots
    ]
    return base.model_copy(update={"images": images})


def world_schema() -> dict[str, Any]:
    """The JSON Schema of a world file."""
    return World.model_json_schema()


def load_world(path: str) -> World:
    """Read and validate a world file (JSON or YAML); ``WorldError`` lists every problem
    with its field path and line, as a policy file's errors do (the same code)."""
    from govbot.policy.document import validation_problems
    from govbot.policy.errors import PolicyError
    from govbot.policy.loader import read_yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise WorldError(path, [f"cannot read the world file ({exc.strerror})"]) from None
    except UnicodeDecodeError as exc:
        raise WorldError(path, [f"cannot read the world file ({exc.reason})"]) from None
    line_of = None
    try:
        if path.endswith(".json"):
            data = json.loads(text)
        else:
            data, line_of = read_yaml(text, path)
    except ValueError as exc:  # json.JSONDecodeError
        raise WorldError(path, [f"not valid JSON ({exc})"]) from None
    except PolicyError as exc:
        raise WorldError(path, list(exc.problems)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise WorldError(path, ["expected a mapping (accounts, regions, images, fleets)"])
    try:
        return World.model_validate(data)
    except ValidationError as exc:
        raise WorldError(path, validation_problems(exc, World, line_of)) from None
