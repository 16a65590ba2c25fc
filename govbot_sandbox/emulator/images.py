"""Image operations: describe, share / stop sharing, delete."""

from __future__ import annotations

from typing import Any

from govbot.domain import Permissions
from govbot_sandbox.emulator.contract import (
    INVALID_PARAMETER_COMBINATION,
    LIMIT_EXCEEDED,
    OPERATION_NOT_PERMITTED,
    RESOURCE_IN_USE,
    RESOURCE_NOT_AVAILABLE,
    RESOURCE_NOT_FOUND,
    VALIDATION,
    AppStreamError,
)
from govbot_sandbox.emulator.paging import fingerprint, paginate
from govbot_sandbox.emulator.settings import OpEnv
from govbot_sandbox.emulator.state import ImageRecord, World, resource_arn
from govbot_sandbox.emulator.views import image_view

DESCRIBE_IMAGES_MAX = 25
DESCRIBE_PERMISSIONS_MAX = 500


def describe_images(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeImages: what the caller sees, filtered by Names / Arns / Type, paged by 25."""
    names, arns, vis = params.get("Names"), params.get("Arns"), params.get("Type")
    if names and arns:
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION,
            "DescribeImages: specify Names or Arns, not both",
        )
    account = env.ctx.account_id
    visible = env.world.visible_images(account, env.ctx.region)
    if names:
        visible = _select(visible, names, lambda i: i.name, "name")
    elif arns:
        visible = _select(visible, arns, lambda i: i.arn, "ARN")
    views = [image_view(i, account, copying=env.is_copying(i)) for i in visible]
    if vis:
        views = [v for v in views if v["Visibility"] == vis]
    size = params.get("MaxResults") or DESCRIBE_IMAGES_MAX
    bound = fingerprint("DescribeImages", account, env.ctx.region, names, arns, vis)
    page, token = paginate(views, params.get("NextToken"), size, bound, "DescribeImages")
    out: dict[str, Any] = {"Images": page}
    if token:
        out["NextToken"] = token
    return out


def _select(images: list[ImageRecord], wanted: list[str], key: Any, what: str) -> list[ImageRecord]:
    # Every requested image must exist for the caller, as in the real service.
    found = {key(i) for i in images}
    missing = [w for w in wanted if w not in found]
    if missing:
        raise AppStreamError(
            RESOURCE_NOT_FOUND,
            f"DescribeImages: no image with {what} {missing[0]!r} is visible to this account",
        )
    return [i for i in images if key(i) in set(wanted)]


def describe_image_permissions(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeImagePermissions: the owner's share list, optionally filtered, paged."""
    ctx = env.ctx
    image = env.world.require_owned_image(
        ctx.account_id, ctx.region, params["Name"], "DescribeImagePermissions"
    )
    accounts = sorted(image.shares)
    wanted = params.get("SharedAwsAccountIds")
    if wanted:
        accounts = [a for a in accounts if a in set(wanted)]
    entries = [
        {
            "sharedAccountId": a,
            "imagePermissions": {
                "allowFleet": image.shares[a].allow_fleet,
                "allowImageBuilder": image.shares[a].allow_image_builder,
            },
        }
        for a in accounts
    ]
    size = params.get("MaxResults") or DESCRIBE_PERMISSIONS_MAX
    bound = fingerprint("DescribeImagePermissions", ctx.account_id, image.arn, wanted)
    page, token = paginate(
        entries, params.get("NextToken"), size, bound, "DescribeImagePermissions"
    )
    out: dict[str, Any] = {"Name": image.name, "SharedImagePermissionsList": page}
    if token:
        out["NextToken"] = token
    return out


def update_image_permissions(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateImagePermissions: grant (or change) an account's share; both flags off revokes."""
    image = _shareable_image(env, params, "UpdateImagePermissions")
    target = params["SharedAccountId"]
    raw = params["ImagePermissions"]
    grant = Permissions(
        allow_fleet=bool(raw.get("allowFleet")),
        allow_image_builder=bool(raw.get("allowImageBuilder")),
    )
    if target not in image.shares and len(image.shares) >= env.settings.max_shared_accounts:
        raise AppStreamError(
            LIMIT_EXCEEDED,
            f"UpdateImagePermissions: image {image.name!r} is already shared with "
            f"{len(image.shares)} accounts (limit {env.settings.max_shared_accounts})",
        )
    previous = image.shares.get(target, Permissions())
    if grant.is_empty():
        image.shares.pop(target, None)
    else:
        image.shares[target] = grant
    if previous.allow_fleet and not grant.allow_fleet:
        stop_consumer_fleets(env.world, image, target)
    return {}


def delete_image_permissions(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteImagePermissions: stop sharing with one account (fleet capacity drops to 0)."""
    image = _shareable_image(env, params, "DeleteImagePermissions")
    target = params["SharedAccountId"]
    previous = image.shares.pop(target, None)
    if previous is None:
        raise AppStreamError(
            RESOURCE_NOT_FOUND,
            f"DeleteImagePermissions: image {image.name!r} is not shared with account {target}",
        )
    if previous.allow_fleet:
        stop_consumer_fleets(env.world, image, target)
    return {}


def _shareable_image(env: OpEnv, params: dict[str, Any], op: str) -> ImageRecord:
    ctx = env.ctx
    target = params["SharedAccountId"]
    # The caller's own image first: a consumer naming the owner's image (with any account,
    # his own included) finds no image of his, as AWS answers him.
    image = env.world.require_owned_image(ctx.account_id, ctx.region, params["Name"], op)
    if target == ctx.account_id:
        # Neither permission operation models InvalidParameterCombination: a request the
        # service refuses before any resource rule is a ValidationException.
        raise AppStreamError(
            VALIDATION,
            f"{op}: SharedAccountId {target} is the image owner's own account; "
            "an image cannot be shared with the account that owns it",
        )
    state = "COPYING" if env.is_copying(image) else image.state
    if state != "AVAILABLE":
        raise AppStreamError(
            RESOURCE_NOT_AVAILABLE,
            f"{op}: image {image.name!r} is {state}; permissions change only on AVAILABLE images",
        )
    return image


def stop_consumer_fleets(world: World, image: ImageRecord, consumer: str) -> None:
    """Fleet permission revoked: the consumer's fleets on this image go to desired 0."""
    for fleet in world.fleets_using(image.arn, consumer):
        fleet.desired = 0


def delete_image(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteImage: refused while any fleet uses the image or while it is shared."""
    ctx = env.ctx
    name = params["Name"]
    public_arn = resource_arn(ctx.region, None, "image", name)
    if env.world.owned_image(ctx.account_id, ctx.region, name) is None and (
        public_arn in env.world.images
    ):
        raise AppStreamError(
            OPERATION_NOT_PERMITTED, f"DeleteImage: {name!r} is an AWS public image"
        )
    image = env.world.require_owned_image(ctx.account_id, ctx.region, name, "DeleteImage")
    fleets = env.world.fleets_using(image.arn)
    if fleets:
        users = ", ".join(sorted(f"{f.account}/{f.name}" for f in fleets))
        raise AppStreamError(
            RESOURCE_IN_USE, f"DeleteImage: image {name!r} is used by fleets: {users}"
        )
    if image.shares:
        raise AppStreamError(
            RESOURCE_IN_USE,
            f"DeleteImage: image {name!r} is shared with accounts "
            f"{', '.join(sorted(image.shares))}; stop sharing it first",
        )
    view = image_view(image, ctx.account_id)
    view["State"] = "DELETING"
    del env.world.images[image.arn]
    return {"Image": view}
