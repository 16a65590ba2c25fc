"""Operations that create images over time (CopyImage, CreateUpdatedImage) and the
clock-driven transitions that finish them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from govbot_sandbox.emulator.contract import (
    LIMIT_EXCEEDED,
    OPERATION_NOT_PERMITTED,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_NOT_AVAILABLE,
    VALIDATION,
    AppStreamError,
)
from govbot_sandbox.emulator.settings import OpEnv
from govbot_sandbox.emulator.state import ImageRecord, World, resource_arn
from govbot_sandbox.emulator.tagging import check_tags
from govbot_sandbox.emulator.views import image_view

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
DEFAULT_COPY_FAILURE = "Image copy failed (injected by the emulator)"


def settle(world: World, now: datetime) -> int:
    """Finish every copy/build whose time has come; return how many images changed."""
    changed = 0
    for image in world.images.values():
        if image.ready_at is None or image.ready_at > now:
            continue
        if image.fail_message is not None:
            image.state = "FAILED"
            image.state_change_reason = {"Code": image.fail_code, "Message": image.fail_message}
        else:
            image.state = "AVAILABLE"
        image.ready_at = None
        changed += 1
    return changed


def copy_image(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """CopyImage: start a copy of an owned AVAILABLE image into DestinationRegion."""
    ctx, world, settings = env.ctx, env.world, env.settings
    dest_region = params["DestinationRegion"]
    dest_name = params["DestinationImageName"]
    if not REGION_PATTERN.match(dest_region):
        raise AppStreamError(
            VALIDATION,
            f"CopyImage: DestinationRegion {dest_region!r} is not a region name "
            "(expected e.g. 'eu-west-1')",
        )
    source = world.require_owned_image(
        ctx.account_id, ctx.region, params["SourceImageName"], "CopyImage"
    )
    if source.state != "AVAILABLE":
        raise AppStreamError(
            RESOURCE_NOT_AVAILABLE,
            f"CopyImage: source image {source.name!r} is {source.state}, not AVAILABLE",
        )
    world.ensure_region(dest_region)
    if world.owned_image(ctx.account_id, dest_region, dest_name) is not None:
        raise AppStreamError(
            RESOURCE_ALREADY_EXISTS,
            f"CopyImage: an image named {dest_name!r} already exists in {dest_region}",
        )
    in_flight = [
        i
        for i in world.images.values()
        if i.copy_source_arn
        and i.owner == ctx.account_id
        and i.region == dest_region
        and i.state == "PENDING"
    ]
    if len(in_flight) >= settings.max_concurrent_copies:
        raise AppStreamError(
            LIMIT_EXCEEDED,
            f"CopyImage: {len(in_flight)} copies into {dest_region} are already in progress "
            f"(limit {settings.max_concurrent_copies} concurrent copies per destination region)",
        )
    queued = env.copy_failures.get(dest_region)
    copy = ImageRecord(
        name=dest_name,
        region=dest_region,
        owner=ctx.account_id,
        state="PENDING",
        created_time=env.now,
        platform=source.platform,
        base_image_arn=_base_in_region(world, source, dest_region),
        display_name=source.display_name,
        description=params.get("DestinationImageDescription") or None,
        public_base_image_released_date=source.public_base_image_released_date,
        ready_at=env.now + timedelta(seconds=settings.copy_duration_seconds),
        fail_message=queued.popleft() if queued else None,
        copy_source_arn=source.arn,
    )
    # Tags and share permissions deliberately stay behind: AWS copies neither.
    world.images[copy.arn] = copy
    return {"DestinationImageName": dest_name}


def _base_in_region(world: World, source: ImageRecord, region: str) -> str | None:
    """The copy's BaseImageArn: the same AWS base image, as published in ``region``.

    Base images are regional like every image; a copy descends from the destination's
    copy of the base (same name), not from an ARN in the source region.
    """
    base = world.images.get(source.base_image_arn or "")
    if base is None or not base.is_public:
        return source.base_image_arn
    world.ensure_region(region)
    regional = world.images.get(resource_arn(region, None, "image", base.name))
    return regional.arn if regional is not None else source.base_image_arn


def create_updated_image(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """CreateUpdatedImage: a new PENDING image from an owned one (dryRun creates nothing)."""
    ctx, world, settings = env.ctx, env.world, env.settings
    op = "CreateUpdatedImage"
    existing_name = params["existingImageName"]
    existing = world.require_owned_image(ctx.account_id, ctx.region, existing_name, op)
    new_name = params["newImageName"]
    if world.owned_image(ctx.account_id, ctx.region, new_name) is not None:
        raise AppStreamError(
            RESOURCE_ALREADY_EXISTS, f"{op}: an image named {new_name!r} already exists"
        )
    if existing.state != "AVAILABLE":
        # CreateUpdatedImage does not model ResourceNotAvailable.
        raise AppStreamError(
            OPERATION_NOT_PERMITTED, f"{op}: image {existing.name!r} is {existing.state}"
        )
    tags = params.get("newImageTags") or {}
    check_tags(tags, settings.max_tags, op)
    if params.get("dryRun"):
        return {"image": image_view(existing, ctx.account_id), "canUpdateImage": True}
    updating = [
        i
        for i in world.images.values()
        if i.update_source_arn
        and i.owner == ctx.account_id
        and i.region == ctx.region
        and i.state == "PENDING"
    ]
    if len(updating) >= settings.max_concurrent_updates:
        raise AppStreamError(
            LIMIT_EXCEEDED,
            f"{op}: {len(updating)} image updates already in progress "
            f"(limit {settings.max_concurrent_updates})",
        )
    image = ImageRecord(
        name=new_name,
        region=ctx.region,
        owner=ctx.account_id,
        state="PENDING",
        created_time=env.now,
        platform=existing.platform,
        base_image_arn=existing.base_image_arn,
        display_name=params.get("newImageDisplayName") or new_name,
        description=params.get("newImageDescription") or None,
        public_base_image_released_date=existing.public_base_image_released_date,
        tags=dict(tags),
        ready_at=env.now + timedelta(seconds=settings.build_duration_seconds),
        update_source_arn=existing.arn,
    )
    world.images[image.arn] = image
    return {"image": image_view(image, ctx.account_id), "canUpdateImage": True}
