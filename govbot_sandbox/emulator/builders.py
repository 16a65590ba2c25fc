"""Image builder operations: create (agent access, IMDSv1, root volume), describe, update
(agent access), start, stop and streaming URLs (a person opening a session on a builder)."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from typing import Any

from govbot_sandbox.emulator.contract import (
    INVALID_PARAMETER_COMBINATION,
    OPERATION_NOT_PERMITTED,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_NOT_AVAILABLE,
    RESOURCE_NOT_FOUND,
    VALIDATION,
    AppStreamError,
)
from govbot_sandbox.emulator.fleets import owned_records, resolve_image_for_use, root_volume_size
from govbot_sandbox.emulator.paging import fingerprint, paginate
from govbot_sandbox.emulator.settings import OpEnv
from govbot_sandbox.emulator.state import BuilderRecord, resource_arn
from govbot_sandbox.emulator.tagging import check_tags
from govbot_sandbox.emulator.views import builder_view

# Longest and shortest streaming URL validity AppStream accepts (seconds).
MIN_VALIDITY, MAX_VALIDITY = 1, 604800
_SETTINGS_REQUIRED = ("ScreenResolution", "ScreenImageFormat")


def create_image_builder(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """CreateImageBuilder: a PENDING builder (RUNNING after ``builder_start_seconds``) on an
    image the caller may build from."""
    ctx, op = env.ctx, "CreateImageBuilder"
    arn = resource_arn(ctx.region, ctx.account_id, "image-builder", params["Name"])
    if arn in env.world.builders:
        raise AppStreamError(
            RESOURCE_ALREADY_EXISTS, f"{op}: image builder {params['Name']!r} exists"
        )
    image = resolve_image_for_use(env, params, "image_builder", op)
    tags = params.get("Tags") or {}
    check_tags(tags, env.settings.max_tags, op)
    access = params.get("AgentAccessConfig")
    if access is not None:
        _check_access(access, op)
    builder = BuilderRecord(
        name=params["Name"],
        region=ctx.region,
        account=ctx.account_id,
        image_arn=image.arn,
        instance_type=params["InstanceType"],
        state="PENDING",
        created_time=env.now,
        platform=image.platform,
        display_name=params.get("DisplayName"),
        description=params.get("Description"),
        enable_default_internet_access=bool(params.get("EnableDefaultInternetAccess")),
        tags=dict(tags),
        ready_at=env.now + timedelta(seconds=env.settings.builder_start_seconds),
        iam_role_arn=params.get("IamRoleArn"),
        disable_imdsv1=params.get("DisableIMDSV1"),
        root_volume_gb=root_volume_size(params, op),
        agent_access=copy.deepcopy(access) if access is not None else None,
    )
    env.world.builders[arn] = builder
    return {"ImageBuilder": builder_view(builder)}


def _check_access(access: dict[str, Any], op: str) -> None:
    """One setting per agent action (the model allows a list; a repeat is ambiguous)."""
    actions = [s["AgentAction"] for s in access.get("Settings") or []]
    repeated = sorted({a for a in actions if actions.count(a) > 1})
    if repeated:
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION,
            f"{op}: AgentAccessConfig.Settings names {', '.join(repeated)} more than once",
        )
    if access.get("ScreenshotsUploadEnabled") and not access.get("S3BucketArn"):
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION,
            f"{op}: ScreenshotsUploadEnabled needs AgentAccessConfig.S3BucketArn",
        )


def describe_image_builders(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeImageBuilders: the caller's builders in the region, by Names, paged."""
    ctx = env.ctx
    names = params.get("Names")
    builders = owned_records(
        env.world.builders.values(), ctx, names, "DescribeImageBuilders", "image builder"
    )
    size = params.get("MaxResults") or 25
    bound = fingerprint("DescribeImageBuilders", ctx.account_id, ctx.region, names)
    page, token = paginate(builders, params.get("NextToken"), size, bound, "DescribeImageBuilders")
    out: dict[str, Any] = {"ImageBuilders": [builder_view(b) for b in page]}
    if token:
        out["NextToken"] = token
    return out


def _own_builder(env: OpEnv, name: str, op: str) -> BuilderRecord:
    builder = env.world.builders.get(
        resource_arn(env.ctx.region, env.ctx.account_id, "image-builder", name)
    )
    if builder is None:
        raise AppStreamError(RESOURCE_NOT_FOUND, f"{op}: image builder {name!r} not found")
    return builder


def update_image_builder(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateImageBuilder: display name, description and agent access.

    ``AgentAccessConfig`` members given replace the builder's (settings merge per agent
    action); ``AttributesToDelete: [AGENT_ACCESS_CONFIG]`` removes it. A builder without
    agent access needs ScreenResolution and ScreenImageFormat to get one.
    """
    op = "UpdateImageBuilder"
    builder = _own_builder(env, params["Name"], op)
    deleting = "AGENT_ACCESS_CONFIG" in (params.get("AttributesToDelete") or [])
    update = params.get("AgentAccessConfig")
    if deleting and update is not None:
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION,
            f"{op}: AgentAccessConfig cannot be set and deleted in one call",
        )
    if builder.state not in ("RUNNING", "STOPPED"):
        raise AppStreamError(
            OPERATION_NOT_PERMITTED,
            f"{op}: image builder {builder.name!r} is {builder.state}; it can be updated "
            "only when RUNNING or STOPPED",
        )
    if update is not None:
        merged = copy.deepcopy(builder.agent_access or {})
        by_action = {s["AgentAction"]: s for s in merged.get("Settings") or []}
        _check_access(update, op)
        for setting in update.get("Settings") or []:
            by_action[setting["AgentAction"]] = dict(setting)
        merged.update({k: v for k, v in update.items() if k != "Settings"})
        merged["Settings"] = list(by_action.values())
        missing = [k for k in _SETTINGS_REQUIRED if k not in merged]
        if missing or not merged["Settings"]:
            raise AppStreamError(
                INVALID_PARAMETER_COMBINATION,
                f"{op}: image builder {builder.name!r} has no agent access yet; give "
                f"{', '.join(missing or ['Settings'])}",
            )
        _check_access(merged, op)
        builder.agent_access = merged
    if deleting:
        builder.agent_access = None
    for key, attr in (("DisplayName", "display_name"), ("Description", "description")):
        if params.get(key) is not None:
            setattr(builder, attr, params[key])
    return {"ImageBuilder": builder_view(builder)}


def start_image_builder(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """StartImageBuilder: STOPPED -> PENDING -> RUNNING after ``builder_start_seconds``."""
    op = "StartImageBuilder"
    builder = _own_builder(env, params["Name"], op)
    if builder.state == "STOPPED":
        builder.state, builder.settles_to = "PENDING", "RUNNING"
        builder.ready_at = env.now + timedelta(seconds=env.settings.builder_start_seconds)
    elif builder.state not in ("RUNNING", "PENDING"):
        raise AppStreamError(
            RESOURCE_NOT_AVAILABLE, f"{op}: image builder {builder.name!r} is {builder.state}"
        )
    return {"ImageBuilder": builder_view(builder)}


def stop_image_builder(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """StopImageBuilder: RUNNING -> STOPPING -> STOPPED after ``builder_stop_seconds``."""
    op = "StopImageBuilder"
    builder = _own_builder(env, params["Name"], op)
    if builder.state == "RUNNING":
        builder.state, builder.settles_to = "STOPPING", "STOPPED"
        builder.ready_at = env.now + timedelta(seconds=env.settings.builder_stop_seconds)
    elif builder.state not in ("STOPPED", "STOPPING"):
        raise AppStreamError(
            OPERATION_NOT_PERMITTED,
            f"{op}: image builder {builder.name!r} is {builder.state}; only a RUNNING "
            "builder can be stopped",
        )
    return {"ImageBuilder": builder_view(builder)}


def create_image_builder_streaming_url(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """CreateImageBuilderStreamingURL: a URL valid ``Validity`` seconds (default 3600) for
    a RUNNING builder."""
    op = "CreateImageBuilderStreamingURL"
    builder = _own_builder(env, params["Name"], op)
    if builder.state != "RUNNING":
        raise AppStreamError(
            OPERATION_NOT_PERMITTED,
            f"{op}: image builder {builder.name!r} is {builder.state}, not RUNNING",
        )
    validity = params.get("Validity") or env.settings.streaming_url_default_seconds
    if not MIN_VALIDITY <= validity <= MAX_VALIDITY:
        raise AppStreamError(
            VALIDATION,
            f"{op}: Validity must be {MIN_VALIDITY}-{MAX_VALIDITY} seconds, got {validity}",
        )
    token = uuid.uuid4().hex
    url = (
        f"https://appstream2.{builder.region}.aws.amazon.com/authenticate?"
        f"parameters=emulated-{builder.name}-{token}"
    )
    return {"StreamingURL": url, "Expires": env.now + timedelta(seconds=validity)}
