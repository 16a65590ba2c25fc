"""AppStream reads and writes for the ways out (part of the AppStream gateway: same clients,
same error translation): export tasks, and builders' and fleets' security settings and
agent access. Kept apart so the core gateway stays small.

IAM, per operation (the ``declare`` table below): ``appstream:ListExportImageTasks``
(Resource ``*``: the Service Authorization Reference lists no resource type for it);
``appstream:UpdateImageBuilder`` on ``image-builder/*``; ``DescribeImageBuilders`` and
``DescribeFleets`` as the core gateway already grants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from govbot.exit_facts import AgentAccess, ComputeSettings, ImageExport
from govbot.gateways.appstream import AppStreamGateway
from govbot.iam import declare

declare(
    "appstream",
    {
        "ListExportImageTasks": "*",  # export tasks have no ARN IAM scopes
        "UpdateImageBuilder": "image-builder",
    },
)
EXPORT_PAGE: Final = 500  # ListExportImageTasks' maximum


def export_from_wire(task: Mapping[str, Any], actor_arn: str | None = None) -> ImageExport:
    """An ``ExportImageTask`` structure as ``ImageExport`` (no launch permissions yet)."""
    return ImageExport(
        task_id=str(task.get("TaskId") or ""),
        state=str(task.get("State") or "EXPORTING"),
        ami_name=str(task.get("AmiName") or ""),
        ami_id=task.get("AmiId"),
        tags=dict(task.get("TagSpecifications") or {}),
        actor_arn=actor_arn,
    )


def agent_access_from_wire(config: Mapping[str, Any] | None) -> AgentAccess | None:
    """An ``AgentAccessConfig`` (None when the builder has none)."""
    if not config:
        return None
    enabled = tuple(
        s["AgentAction"]
        for s in config.get("Settings") or []
        if s.get("Permission") == "ENABLED" and s.get("AgentAction")
    )
    return AgentAccess(
        enabled=enabled,
        screenshot_bucket_arn=config.get("S3BucketArn"),
        screenshots_upload=bool(config.get("ScreenshotsUploadEnabled")),
    )


def settings_from_wire(
    kind: Literal["fleet", "image_builder"], item: Mapping[str, Any], account: str, region: str
) -> ComputeSettings:
    """A ``Fleet`` or ``ImageBuilder`` structure's security settings."""
    volume = (item.get("RootVolumeConfig") or {}).get("VolumeSizeInGb")
    return ComputeSettings(
        kind=kind,
        name=str(item.get("Name") or ""),
        account_id=account,
        region=region,
        disable_imdsv1=item.get("DisableIMDSV1"),
        root_volume_gb=int(volume) if volume is not None else None,
        agent_access=agent_access_from_wire(item.get("AgentAccessConfig")),
    )


class AppStreamExits:
    """Export tasks and compute settings, through one ``AppStreamGateway``."""

    def __init__(self, gateway: AppStreamGateway) -> None:
        self.gateway = gateway

    def export_tasks(self, account_id: str, region: str) -> dict[str, list[ImageExport]]:
        """Every export task of ``account_id`` in ``region``, by exported image ARN."""
        found: dict[str, list[ImageExport]] = {}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"MaxResults": EXPORT_PAGE}
            if token:
                kwargs["NextToken"] = token
            page = self.gateway.call(account_id, region, "ListExportImageTasks", **kwargs)
            for task in page.get("ExportImageTasks") or []:
                found.setdefault(str(task.get("ImageArn")), []).append(export_from_wire(task))
            token = page.get("NextToken")
            if not token:
                return found

    def compute_on(self, image_arn: str, account_id: str, region: str) -> list[ComputeSettings]:
        """The settings of ``account_id``'s builders and fleets in ``region`` made from
        ``image_arn`` (DescribeImageBuilders and DescribeFleets, every page)."""
        settings: list[ComputeSettings] = []
        for kind, operation, key in (
            ("image_builder", "DescribeImageBuilders", "ImageBuilders"),
            ("fleet", "DescribeFleets", "Fleets"),
        ):
            token: str | None = None
            while True:
                kwargs = {"NextToken": token} if token else {}
                page = self.gateway.call(account_id, region, operation, **kwargs)
                for item in page.get(key) or []:
                    if item.get("ImageArn") == image_arn:
                        settings.append(settings_from_wire(kind, item, account_id, region))  # type: ignore[arg-type]
                token = page.get("NextToken")
                if not token:
                    break
        return settings

    def update_agent_access(
        self, account_id: str, region: str, builder: str, update: Mapping[str, Any]
    ) -> None:
        """UpdateImageBuilder with ``AgentAccessConfig`` ``update`` (the rule's remedy)."""
        self.gateway.call(
            account_id, region, "UpdateImageBuilder", Name=builder, AgentAccessConfig=dict(update)
        )
