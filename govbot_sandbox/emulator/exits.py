"""Images leaving and entering AppStream: export to an EC2 AMI, import from one.

CreateExportImageTask starts an EXPORTING task; when ``export_duration_seconds`` have
passed it settles COMPLETED with a new AMI (in the caller's account and region, tagged with
the task's ``TagSpecifications``) or FAILED with ``ErrorDetails``. CreateImportedImage
makes an IMPORTING image (AVAILABLE after ``import_duration_seconds``) from an AMI the
caller can see or from a WorkSpaces image id.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from govbot_sandbox.emulator.amis import AmiNameTaken, AmiStore
from govbot_sandbox.emulator.contract import (
    INVALID_PARAMETER_COMBINATION,
    LIMIT_EXCEEDED,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_NOT_AVAILABLE,
    RESOURCE_NOT_FOUND,
    VALIDATION,
    AppStreamError,
)
from govbot_sandbox.emulator.paging import fingerprint, paginate
from govbot_sandbox.emulator.settings import OpEnv
from govbot_sandbox.emulator.state import (
    DEFAULT_BASE_IMAGE,
    ExportTaskRecord,
    ImageRecord,
    World,
    resource_arn,
)
from govbot_sandbox.emulator.tagging import check_tags
from govbot_sandbox.emulator.views import image_view

INVALID_ROLE = "InvalidRoleException"
DRY_RUN = "DryRunOperationException"
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
LIST_DEFAULT_PAGE = 50
# The filters ListExportImageTasks accepts here (the API reference names none): by the
# task's state and by the exported image.
EXPORT_FILTERS = ("State", "ImageArn")


def _role(params: dict[str, Any], op: str) -> str | None:
    role = params.get("IamRoleArn")
    if role is not None and not ROLE_ARN.match(role):
        raise AppStreamError(INVALID_ROLE, f"{op}: {role!r} is not an IAM role ARN")
    return role


def create_export_image_task(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """CreateExportImageTask: export an owned AVAILABLE image to an EC2 AMI."""
    ctx, world, op = env.ctx, env.world, "CreateExportImageTask"
    role = _role(params, op)
    image = world.require_owned_image(ctx.account_id, ctx.region, params["ImageName"], op)
    if image.state != "AVAILABLE":
        raise AppStreamError(
            RESOURCE_NOT_AVAILABLE, f"{op}: image {image.name!r} is {image.state}, not AVAILABLE"
        )
    tags = params.get("TagSpecifications") or {}
    check_tags(tags, env.settings.max_tags, op)
    running = [
        t
        for t in world.export_tasks.values()
        if t.account == ctx.account_id and t.region == ctx.region and t.state == "EXPORTING"
    ]
    if len(running) >= env.settings.max_concurrent_exports:
        raise AppStreamError(
            LIMIT_EXCEEDED,
            f"{op}: {len(running)} exports already in progress "
            f"(limit {env.settings.max_concurrent_exports})",
        )
    task = ExportTaskRecord(
        task_id=str(uuid.uuid4()),
        account=ctx.account_id,
        region=ctx.region,
        image_arn=image.arn,
        ami_name=params["AmiName"],
        created=env.now,
        role_arn=role or "",
        ami_description=params.get("AmiDescription"),
        tags=dict(tags),
        ready_at=env.now + timedelta(seconds=env.settings.export_duration_seconds),
    )
    world.export_tasks[task.task_id] = task
    return {"ExportImageTask": task_view(task)}


def get_export_image_task(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """GetExportImageTask: one of the caller's tasks in the region, by TaskId."""
    task_id = params.get("TaskId")
    if not task_id:
        raise AppStreamError(VALIDATION, "GetExportImageTask: TaskId is required")
    task = env.world.export_tasks.get(task_id)
    if task is None or task.account != env.ctx.account_id or task.region != env.ctx.region:
        raise AppStreamError(
            RESOURCE_NOT_FOUND, f"GetExportImageTask: export image task {task_id} not found"
        )
    return {"ExportImageTask": task_view(task)}


def list_export_image_tasks(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """ListExportImageTasks: the caller's tasks in the region, newest first, filtered by
    ``State`` / ``ImageArn``, paged (default 50)."""
    ctx, op = env.ctx, "ListExportImageTasks"
    filters = params.get("Filters") or []
    wanted: dict[str, set[str]] = {}
    for item in filters:
        name = item["Name"]
        if name not in EXPORT_FILTERS:
            raise AppStreamError(
                VALIDATION,
                f"{op}: unknown filter {name!r}; supported: {', '.join(EXPORT_FILTERS)}",
            )
        wanted.setdefault(name, set()).update(item["Values"])
    tasks = sorted(
        (
            t
            for t in env.world.export_tasks.values()
            if t.account == ctx.account_id
            and t.region == ctx.region
            and t.state in wanted.get("State", {t.state})
            and t.image_arn in wanted.get("ImageArn", {t.image_arn})
        ),
        key=lambda t: (t.created, t.task_id),
        reverse=True,
    )
    size = params.get("MaxResults") or LIST_DEFAULT_PAGE
    bound = fingerprint(
        op, ctx.account_id, ctx.region, sorted((k, sorted(v)) for k, v in wanted.items())
    )
    page, token = paginate(tasks, params.get("NextToken"), size, bound, op)
    out: dict[str, Any] = {"ExportImageTasks": [task_view(t) for t in page]}
    if token:
        out["NextToken"] = token
    return out


def task_view(task: ExportTaskRecord) -> dict[str, Any]:
    """The ``ExportImageTask`` structure."""
    view: dict[str, Any] = {
        "TaskId": task.task_id,
        "ImageArn": task.image_arn,
        "AmiName": task.ami_name,
        "CreatedDate": task.created,
        "State": task.state,
    }
    if task.ami_description:
        view["AmiDescription"] = task.ami_description
    if task.ami_id:
        view["AmiId"] = task.ami_id
    if task.tags:
        view["TagSpecifications"] = dict(task.tags)
    if task.error:
        view["ErrorDetails"] = [{"ErrorCode": task.error[0], "ErrorMessage": task.error[1]}]
    return view


def settle_exports(world: World, amis: AmiStore, now: datetime) -> int:
    """Finish the exports whose time has come: the AMI is made then. Returns how many."""
    changed = 0
    for task in world.export_tasks.values():
        if task.ready_at is None or task.ready_at > now:
            continue
        task.ready_at = None
        changed += 1
        if task.image_arn not in world.images:
            task.state, task.error = "FAILED", ("IMAGE_NOT_FOUND", "the image was deleted")
            continue
        try:
            task.ami_id = amis.register(
                task.account, task.region, task.ami_name, task.ami_description, task.tags
            )
            task.state = "COMPLETED"
        except AmiNameTaken:
            task.state = "FAILED"
            task.error = (
                "AMI_NAME_IN_USE",
                f"an AMI named {task.ami_name!r} already exists in {task.account}/{task.region}",
            )
    return changed


def create_imported_image(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """CreateImportedImage: an IMPORTING image from exactly one of SourceAmiId (an AMI the
    caller can see) or WorkspaceImageId; DryRun checks and creates nothing."""
    ctx, world, op = env.ctx, env.world, "CreateImportedImage"
    ami_id, wsi = params.get("SourceAmiId"), params.get("WorkspaceImageId")
    if bool(ami_id) == bool(wsi):
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION,
            f"{op}: specify exactly one of SourceAmiId or WorkspaceImageId",
        )
    role = _role(params, op)
    if ami_id and role is None:
        raise AppStreamError(
            INVALID_PARAMETER_COMBINATION, f"{op}: IamRoleArn is required with SourceAmiId"
        )
    name = params["Name"]
    if world.owned_image(ctx.account_id, ctx.region, name) is not None:
        raise AppStreamError(RESOURCE_ALREADY_EXISTS, f"{op}: an image named {name!r} exists")
    if ami_id and (env.amis is None or env.amis.find(ctx.account_id, ctx.region, ami_id) is None):
        raise AppStreamError(
            RESOURCE_NOT_FOUND,
            f"{op}: AMI {ami_id} not found in {ctx.region} or not shared with {ctx.account_id}",
        )
    tags = params.get("Tags") or {}
    check_tags(tags, env.settings.max_tags, op)
    if params.get("DryRun"):
        raise AppStreamError(DRY_RUN, f"{op}: request would have succeeded, but DryRun flag is set")
    world.ensure_region(ctx.region)
    base = world.images[resource_arn(ctx.region, None, "image", DEFAULT_BASE_IMAGE)]
    image = ImageRecord(
        name=name,
        region=ctx.region,
        owner=ctx.account_id,
        state="IMPORTING",
        created_time=env.now,
        display_name=params.get("DisplayName") or name,
        description=params.get("Description") or None,
        public_base_image_released_date=base.public_base_image_released_date,
        tags=dict(tags),
        ready_at=env.now + timedelta(seconds=env.settings.import_duration_seconds),
        fail_code="IMAGE_IMPORT_FAILURE",
        source_ami_id=ami_id,
        workspace_image_id=wsi,
        image_type="BYOL" if wsi else "CUSTOM",
    )
    world.images[image.arn] = image
    return {"Image": image_view(image, ctx.account_id)}
