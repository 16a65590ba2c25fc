"""The emulator's world: images, fleets and image builders of every account and region.

Pure data plus lookups; the rules live in the operation modules. Public AWS base images
are owned by no account (``owner is None``) and seeded lazily in each region touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from govbot.domain import Permissions
from govbot_sandbox.emulator.contract import RESOURCE_NOT_FOUND, AppStreamError

# (name, platform, release date) of the AWS base images every region offers.
_RELEASED = datetime(2024, 6, 17, tzinfo=UTC)
PUBLIC_BASE_IMAGES: tuple[tuple[str, str, datetime], ...] = (
    ("AppStream-WinServer2022-06-17-2024", "WINDOWS_SERVER_2022", _RELEASED),
    ("AppStream-WinServer2019-06-17-2024", "WINDOWS_SERVER_2019", _RELEASED),
    ("AppStream-AmazonLinux2-06-17-2024", "AMAZON_LINUX2", _RELEASED),
)
DEFAULT_BASE_IMAGE = PUBLIC_BASE_IMAGES[0][0]
AGENT_VERSION = "1.1.1395"


def resource_arn(region: str, account: str | None, kind: str, name: str) -> str:
    """``arn:aws:appstream:REGION:ACCOUNT:KIND/NAME`` (empty account for public images)."""
    return f"arn:aws:appstream:{region}:{account or ''}:{kind}/{name}"


@dataclass(frozen=True)
class ParsedArn:
    """The parts of an AppStream resource ARN."""

    region: str
    account: str
    kind: str
    name: str


def parse_arn(arn: str) -> ParsedArn | None:
    """Split an AppStream ARN; None when ``arn`` is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "appstream" or "/" not in parts[5]:
        return None
    kind, name = parts[5].split("/", 1)
    return ParsedArn(region=parts[3], account=parts[4], kind=kind, name=name)


@dataclass
class ImageRecord:
    """One image. ``ready_at`` is when a PENDING copy/build settles (None when settled)."""

    name: str
    region: str
    owner: str | None
    state: str
    created_time: datetime
    platform: str = "WINDOWS_SERVER_2022"
    base_image_arn: str | None = None
    display_name: str | None = None
    description: str | None = None
    image_builder_name: str | None = None
    public_base_image_released_date: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)
    shares: dict[str, Permissions] = field(default_factory=dict)
    state_change_reason: dict[str, str] | None = None
    ready_at: datetime | None = None
    fail_message: str | None = None
    fail_code: str = "IMAGE_COPY_FAILURE"
    copy_source_arn: str | None = None
    update_source_arn: str | None = None
    # CreateImportedImage: where the image came from (an EC2 AMI or a WorkSpaces image).
    source_ami_id: str | None = None
    workspace_image_id: str | None = None
    image_type: str = "CUSTOM"

    @property
    def arn(self) -> str:
        return resource_arn(self.region, self.owner, "image", self.name)

    @property
    def is_public(self) -> bool:
        return self.owner is None

    def visible_to(self, account: str) -> bool:
        """Public, owned by ``account`` or shared with it."""
        return self.is_public or self.owner == account or account in self.shares


@dataclass
class FleetRecord:
    """One fleet; capacity is simulated instantly (Running follows Desired when RUNNING)."""

    name: str
    region: str
    account: str
    image_arn: str
    image_name: str
    instance_type: str
    desired: int
    state: str
    created_time: datetime
    fleet_type: str = "ON_DEMAND"
    platform: str = "WINDOWS_SERVER_2022"
    display_name: str | None = None
    description: str | None = None
    max_user_duration: int = 57600
    disconnect_timeout: int = 900
    stream_view: str = "APP"
    enable_default_internet_access: bool = False
    in_use: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    ready_at: datetime | None = None  # when a STARTING fleet becomes RUNNING
    disable_imdsv1: bool | None = None
    root_volume_gb: int | None = None

    @property
    def arn(self) -> str:
        return resource_arn(self.region, self.account, "fleet", self.name)


@dataclass
class BuilderRecord:
    """One image builder (PENDING when created, RUNNING at ``ready_at``)."""

    name: str
    region: str
    account: str
    image_arn: str
    instance_type: str
    state: str
    created_time: datetime
    platform: str = "WINDOWS_SERVER_2022"
    display_name: str | None = None
    description: str | None = None
    enable_default_internet_access: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    ready_at: datetime | None = None
    iam_role_arn: str | None = None
    disable_imdsv1: bool | None = None
    root_volume_gb: int | None = None
    # ImageBuilderAgentAccessConfig as the API shows it (PascalCase), None when unset.
    agent_access: dict[str, Any] | None = None
    # The state the builder settles into at ``ready_at`` (RUNNING after a start, STOPPED
    # after a stop).
    settles_to: str = "RUNNING"

    @property
    def arn(self) -> str:
        return resource_arn(self.region, self.account, "image-builder", self.name)


@dataclass
class ExportTaskRecord:
    """One CreateExportImageTask: EXPORTING until ``ready_at``, then COMPLETED (with the
    AMI it made) or FAILED (with ``error``)."""

    task_id: str
    account: str
    region: str
    image_arn: str
    ami_name: str
    created: datetime
    role_arn: str
    ami_description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    state: str = "EXPORTING"
    ami_id: str | None = None
    error: tuple[str, str] | None = None
    ready_at: datetime | None = None


@dataclass
class World:
    """Every resource, keyed by ARN; one instance per backend, guarded by its lock."""

    images: dict[str, ImageRecord] = field(default_factory=dict)
    fleets: dict[str, FleetRecord] = field(default_factory=dict)
    builders: dict[str, BuilderRecord] = field(default_factory=dict)
    export_tasks: dict[str, ExportTaskRecord] = field(default_factory=dict)
    seeded_regions: set[str] = field(default_factory=set)

    def ensure_region(self, region: str) -> None:
        """Seed the public AWS base images of ``region`` the first time it is used."""
        if region in self.seeded_regions:
            return
        self.seeded_regions.add(region)
        for name, platform, released in PUBLIC_BASE_IMAGES:
            image = ImageRecord(
                name=name,
                region=region,
                owner=None,
                state="AVAILABLE",
                created_time=released,
                platform=platform,
                display_name=name,
                description=f"AWS base image {name}",
                public_base_image_released_date=released,
            )
            self.images[image.arn] = image

    def owned_image(self, account: str, region: str, name: str) -> ImageRecord | None:
        """The image ``name`` that ``account`` owns in ``region``."""
        return self.images.get(resource_arn(region, account, "image", name))

    def require_owned_image(self, account: str, region: str, name: str, op: str) -> ImageRecord:
        """Like :meth:`owned_image` but raise ``ResourceNotFoundException`` when absent."""
        image = self.owned_image(account, region, name)
        if image is None:
            raise AppStreamError(
                RESOURCE_NOT_FOUND,
                f"{op}: image {name!r} not found in account {account} region {region} "
                "(only images you own can be used here)",
            )
        return image

    def visible_images(self, account: str, region: str) -> list[ImageRecord]:
        """Images ``account`` can see in ``region``, sorted by name then ARN."""
        found = [i for i in self.images.values() if i.region == region and i.visible_to(account)]
        return sorted(found, key=lambda i: (i.name, i.arn))

    def fleets_using(self, image_arn: str, account: str | None = None) -> list[FleetRecord]:
        """Fleets whose image is ``image_arn`` (optionally only those of ``account``)."""
        return [
            f
            for f in self.fleets.values()
            if f.image_arn == image_arn and (account is None or f.account == account)
        ]
