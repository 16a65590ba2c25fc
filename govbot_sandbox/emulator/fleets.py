"""Fleet and image builder operations, and the permission rules for using shared images."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from govbot_sandbox.emulator.contract import (
    INVALID_PARAMETER_COMBINATION,
    OPERATION_NOT_PERMITTED,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_IN_USE,
    RESOURCE_NOT_AVAILABLE,
    RESOURCE_NOT_FOUND,
    VALIDATION,
    AppStreamError,
    CallContext,
)
from govbot_sandbox.emulator.paging import fingerprint, paginate
from govbot_sandbox.emulator.settings import OpEnv
from govbot_sandbox.emulator.state import (
    BuilderRecord,
    FleetRecord,
    ImageRecord,
    World,
    resource_arn,
)
from govbot_sandbox.emulator.tagging import check_tags
from govbot_sandbox.emulator.views import fleet_view

Use = Literal["fleet", "image_builder"]
MIN_ROOT_VOLUME_GB = 1
MAX_ROOT_VOLUME_GB = 500


def resolve_image_for_use(env: OpEnv, params: dict[str, Any], use: Use, op: str) -> ImageRecord:
    """The AVAILABLE image named by ImageName or ImageArn that the caller may use for ``use``.

    Name lookup prefers the caller's own image, then an AWS public one, then one shared
    with the caller. A shared image needs the matching permission.
    """
    name, arn = params.get("ImageName"), params.get("ImageArn")
    if bool(name) == bool(arn):
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION, f"{op}: specify exactly one of ImageName or ImageArn"
        )
    ctx, world = env.ctx, env.world
    image: ImageRecord | None
    if arn:
        image = world.images.get(arn)
        visible = image is not None and image.visible_to(ctx.account_id)
        if image is not None and (image.region != ctx.region or not visible):
            image = None
    else:
        name = str(name)
        image = world.owned_image(ctx.account_id, ctx.region, name) or world.images.get(
            resource_arn(ctx.region, None, "image", name)
        )
        if image is None:
            shared = [i for i in world.visible_images(ctx.account_id, ctx.region) if i.name == name]
            if len(shared) > 1:
                raise AppStreamError(
                    INVALID_PARAMETER_COMBINATION,
                    f"{op}: several images named {name!r} are shared with you; use ImageArn",
                )
            image = shared[0] if shared else None
    if image is None:
        raise AppStreamError(
            RESOURCE_NOT_FOUND, f"{op}: image {arn or name!r} not found or not visible to you"
        )
    if not image.is_public and image.owner != ctx.account_id:
        grant = image.shares[ctx.account_id]
        allowed = grant.allow_fleet if use == "fleet" else grant.allow_image_builder
        if not allowed:
            what = "allowFleet" if use == "fleet" else "allowImageBuilder"
            raise AppStreamError(
                OPERATION_NOT_PERMITTED,
                f"{op}: image {image.arn} is shared with account {ctx.account_id} "
                f"without {what} permission",
            )
    if image.state != "AVAILABLE":
        raise AppStreamError(
            RESOURCE_NOT_AVAILABLE, f"{op}: image {image.name!r} is {image.state}, not AVAILABLE"
        )
    return image


def image_revoked(env: OpEnv, fleet: FleetRecord) -> bool:
    """True when ``fleet`` runs a shared image its account may no longer use for fleets
    (fleet permission revoked, or the share deleted, or the image gone)."""
    image = env.world.images.get(fleet.image_arn)
    if image is None:
        return True
    if image.is_public or image.owner == fleet.account:
        return False
    grant = image.shares.get(fleet.account)
    return grant is None or not grant.allow_fleet


def _refuse_revoked(env: OpEnv, fleet: FleetRecord, op: str, what: str) -> None:
    # AppStream: after fleet permission is revoked, the fleet must first be updated with a
    # valid image before it can be scaled or started again.
    if image_revoked(env, fleet):
        raise AppStreamError(
            OPERATION_NOT_PERMITTED,
            f"{op}: fleet {fleet.name!r} uses image {fleet.image_arn} that account "
            f"{fleet.account} is no longer permitted to use; update the fleet with a valid "
            f"image before {what}",
        )


def _desired(params: dict[str, Any], fleet_type: str, op: str) -> int:
    capacity = params.get("ComputeCapacity") or {}
    desired = capacity.get("DesiredInstances", capacity.get("DesiredSessions"))
    if desired is None:
        if fleet_type == "ELASTIC":
            return 0
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION,
            f"{op}: ComputeCapacity.DesiredInstances is required for {fleet_type} fleets",
        )
    if desired < 0:
        raise AppStreamError(VALIDATION, f"{op}: desired capacity must be >= 0, got {desired}")
    return int(desired)


def create_fleet(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """CreateFleet: a STOPPED fleet on an image the caller may use for fleets."""
    ctx, op = env.ctx, "CreateFleet"
    arn = resource_arn(ctx.region, ctx.account_id, "fleet", params["Name"])
    if arn in env.world.fleets:
        raise AppStreamError(RESOURCE_ALREADY_EXISTS, f"{op}: fleet {params['Name']!r} exists")
    image = resolve_image_for_use(env, params, "fleet", op)
    fleet_type = params.get("FleetType", "ON_DEMAND")
    tags = params.get("Tags") or {}
    check_tags(tags, env.settings.max_tags, op)
    fleet = FleetRecord(
        name=params["Name"],
        region=ctx.region,
        account=ctx.account_id,
        image_arn=image.arn,
        image_name=image.name,
        instance_type=params["InstanceType"],
        desired=_desired(params, fleet_type, op),
        state="STOPPED",
        created_time=env.now,
        fleet_type=fleet_type,
        platform=image.platform,
        display_name=params.get("DisplayName"),
        description=params.get("Description"),
        stream_view=params.get("StreamView", "APP"),
        enable_default_internet_access=bool(params.get("EnableDefaultInternetAccess")),
        tags=dict(tags),
        disable_imdsv1=params.get("DisableIMDSV1"),
        root_volume_gb=root_volume_size(params, op),
    )
    for key, attr in (
        ("MaxUserDurationInSeconds", "max_user_duration"),
        ("DisconnectTimeoutInSeconds", "disconnect_timeout"),
    ):
        if key in params:
            setattr(fleet, attr, params[key])
    env.world.fleets[arn] = fleet
    return {"Fleet": fleet_view(fleet)}


def _own_fleet(env: OpEnv, params: dict[str, Any], op: str) -> FleetRecord:
    name = params.get("Name")
    if not name:
        raise AppStreamError(VALIDATION, f"{op}: Name (the fleet name) is required")
    fleet = env.world.fleets.get(resource_arn(env.ctx.region, env.ctx.account_id, "fleet", name))
    if fleet is None:
        raise AppStreamError(RESOURCE_NOT_FOUND, f"{op}: fleet {name!r} not found")
    return fleet


def update_fleet(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateFleet: change image (permission checked again), capacity and descriptive fields."""
    op = "UpdateFleet"
    fleet = _own_fleet(env, params, op)
    if params.get("ImageName") or params.get("ImageArn"):
        image = resolve_image_for_use(env, params, "fleet", op)
        fleet.image_arn, fleet.image_name, fleet.platform = image.arn, image.name, image.platform
    if params.get("ComputeCapacity"):
        desired = _desired(params, fleet.fleet_type, op)
        if desired > 0:
            _refuse_revoked(env, fleet, op, "changing its capacity")
        fleet.desired = desired
    for key, attr in (
        ("InstanceType", "instance_type"),
        ("DisplayName", "display_name"),
        ("Description", "description"),
        ("MaxUserDurationInSeconds", "max_user_duration"),
        ("DisconnectTimeoutInSeconds", "disconnect_timeout"),
        ("StreamView", "stream_view"),
    ):
        if params.get(key) is not None:
            setattr(fleet, attr, params[key])
    if params.get("DisableIMDSV1") is not None:
        fleet.disable_imdsv1 = params["DisableIMDSV1"]
    if params.get("RootVolumeConfig") is not None:
        fleet.root_volume_gb = root_volume_size(params, op)
    return {"Fleet": fleet_view(fleet)}


def start_fleet(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """StartFleet: STARTING, then RUNNING after ``fleet_start_seconds`` (capacity follows
    Desired). Refused while the fleet's image is no longer permitted to its account."""
    op = "StartFleet"
    fleet = _own_fleet(env, params, op)
    _refuse_revoked(env, fleet, op, "starting it")
    if fleet.state == "STOPPED":
        fleet.state = "STARTING"
        fleet.ready_at = env.now + timedelta(seconds=env.settings.fleet_start_seconds)
    return {}


def stop_fleet(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """StopFleet: STOPPED at once; sessions end."""
    fleet = _own_fleet(env, params, "StopFleet")
    fleet.state, fleet.in_use, fleet.ready_at = "STOPPED", 0, None
    return {}


def delete_fleet(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteFleet: only a STOPPED fleet can be deleted."""
    fleet = _own_fleet(env, params, "DeleteFleet")
    if fleet.state != "STOPPED":
        raise AppStreamError(
            RESOURCE_IN_USE, f"DeleteFleet: fleet {fleet.name!r} is {fleet.state}; stop it first"
        )
    del env.world.fleets[fleet.arn]
    return {}


def describe_fleets(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeFleets: the caller's fleets in the region, by Names, paged."""
    ctx = env.ctx
    names = params.get("Names")
    fleets = owned_records(env.world.fleets.values(), ctx, names, "DescribeFleets", "fleet")
    bound = fingerprint("DescribeFleets", ctx.account_id, ctx.region, names)
    page, token = paginate(
        fleets, params.get("NextToken"), env.settings.fleets_page_size, bound, "DescribeFleets"
    )
    out: dict[str, Any] = {"Fleets": [fleet_view(f) for f in page]}
    if token:
        out["NextToken"] = token
    return out


def root_volume_size(params: dict[str, Any], op: str) -> int | None:
    """``RootVolumeConfig.VolumeSizeInGb`` (the model has no range; AppStream's minimum is
    the image's own volume, 200 GB at most is documented)."""
    size = (params.get("RootVolumeConfig") or {}).get("VolumeSizeInGb")
    if size is not None and not MIN_ROOT_VOLUME_GB <= size <= MAX_ROOT_VOLUME_GB:
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION,
            f"{op}: RootVolumeConfig.VolumeSizeInGb must be {MIN_ROOT_VOLUME_GB}-"
            f"{MAX_ROOT_VOLUME_GB}, got {size}",
        )
    return int(size) if size is not None else None


def settle(world: World, now: datetime) -> int:
    """Finish fleet starts (STARTING -> RUNNING) and builder starts and stops (to their
    ``settles_to`` state) whose time has come; return how many changed."""
    changed = 0
    for fleet in world.fleets.values():
        if fleet.ready_at is not None and fleet.ready_at <= now:
            fleet.state, fleet.ready_at = "RUNNING", None
            changed += 1
    for builder in world.builders.values():
        if builder.ready_at is not None and builder.ready_at <= now:
            builder.state, builder.ready_at = builder.settles_to, None
            changed += 1
    return changed


_R = TypeVar("_R", FleetRecord, BuilderRecord)


def owned_records(
    records: Iterable[_R], ctx: CallContext, names: list[str] | None, op: str, label: str
) -> list[_R]:
    """The caller's records in its region, by name; every asked-for name must exist."""
    mine = sorted(
        (r for r in records if r.account == ctx.account_id and r.region == ctx.region),
        key=lambda r: r.name,
    )
    if not names:
        return mine
    known = {r.name for r in mine}
    missing = [n for n in names if n not in known]
    if missing:
        raise AppStreamError(RESOURCE_NOT_FOUND, f"{op}: {label} {missing[0]!r} not found")
    return [r for r in mine if r.name in set(names)]
