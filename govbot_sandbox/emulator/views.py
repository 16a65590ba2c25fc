"""Render records as AppStream output structures (PascalCase, as botocore parses them)."""

from __future__ import annotations

import copy
from typing import Any

from govbot_sandbox.emulator.state import AGENT_VERSION, BuilderRecord, FleetRecord, ImageRecord


def image_view(image: ImageRecord, viewer: str, *, copying: bool = False) -> dict[str, Any]:
    """The ``Image`` structure as ``viewer`` sees it.

    The owner sees PRIVATE with ``ImageSharedWithOthers``; a consumer sees SHARED with its
    own grant in ``ImagePermissions``; everyone sees AWS base images as PUBLIC.
    ``copying`` shows the source of an in-flight copy as COPYING.
    """
    view: dict[str, Any] = {
        "Name": image.name,
        "Arn": image.arn,
        "DisplayName": image.display_name or image.name,
        "State": "COPYING" if copying and image.state == "AVAILABLE" else image.state,
        "ImageBuilderSupported": True,
        "Platform": image.platform,
        "Applications": [],
        "CreatedTime": image.created_time,
        "AppstreamAgentVersion": AGENT_VERSION,
        "LatestAppstreamAgentVersion": "TRUE",
        "ImageErrors": [],
    }
    if image.base_image_arn:
        view["BaseImageArn"] = image.base_image_arn
    if image.description:
        view["Description"] = image.description
    if image.image_builder_name:
        view["ImageBuilderName"] = image.image_builder_name
    if image.public_base_image_released_date:
        view["PublicBaseImageReleasedDate"] = image.public_base_image_released_date
    if image.state_change_reason:
        view["StateChangeReason"] = dict(image.state_change_reason)
    if image.is_public:
        view["Visibility"] = "PUBLIC"
        view["ImageType"] = "NATIVE"
    elif image.owner == viewer:
        view["Visibility"] = "PRIVATE"
        view["ImageSharedWithOthers"] = "TRUE" if image.shares else "FALSE"
        view["ImageType"] = image.image_type
    else:
        grant = image.shares[viewer]
        view["Visibility"] = "SHARED"
        view["ImagePermissions"] = {
            "allowFleet": grant.allow_fleet,
            "allowImageBuilder": grant.allow_image_builder,
        }
        view["ImageType"] = image.image_type
    return view


def fleet_view(fleet: FleetRecord) -> dict[str, Any]:
    """The ``Fleet`` structure; capacity follows Desired instantly while RUNNING."""
    # After a fleet-permission revocation Desired is 0 but sessions in use run to their end.
    active = fleet.state == "RUNNING"
    in_use = fleet.in_use if active else 0
    running = max(fleet.desired, in_use) if active else 0
    view: dict[str, Any] = {
        "Arn": fleet.arn,
        "Name": fleet.name,
        "DisplayName": fleet.display_name or fleet.name,
        "ImageName": fleet.image_name,
        "ImageArn": fleet.image_arn,
        "InstanceType": fleet.instance_type,
        "FleetType": fleet.fleet_type,
        "ComputeCapacityStatus": {
            "Desired": fleet.desired,
            "Running": running,
            "InUse": in_use,
            "Available": running - in_use,
        },
        "MaxUserDurationInSeconds": fleet.max_user_duration,
        "DisconnectTimeoutInSeconds": fleet.disconnect_timeout,
        "State": fleet.state,
        "CreatedTime": fleet.created_time,
        "FleetErrors": [],
        "EnableDefaultInternetAccess": fleet.enable_default_internet_access,
        "StreamView": fleet.stream_view,
        "Platform": fleet.platform,
    }
    if fleet.description:
        view["Description"] = fleet.description
    _security_settings(view, fleet.disable_imdsv1, fleet.root_volume_gb)
    return view


def _security_settings(view: dict[str, Any], imdsv1_off: bool | None, volume: int | None) -> None:
    if imdsv1_off is not None:
        view["DisableIMDSV1"] = imdsv1_off
    if volume is not None:
        view["RootVolumeConfig"] = {"VolumeSizeInGb": volume}


def builder_view(builder: BuilderRecord) -> dict[str, Any]:
    """The ``ImageBuilder`` structure."""
    view: dict[str, Any] = {
        "Name": builder.name,
        "Arn": builder.arn,
        "ImageArn": builder.image_arn,
        "DisplayName": builder.display_name or builder.name,
        "InstanceType": builder.instance_type,
        "Platform": builder.platform,
        "State": builder.state,
        "CreatedTime": builder.created_time,
        "EnableDefaultInternetAccess": builder.enable_default_internet_access,
        "ImageBuilderErrors": [],
        "AppstreamAgentVersion": AGENT_VERSION,
        "LatestAppstreamAgentVersion": "TRUE",
    }
    if builder.description:
        view["Description"] = builder.description
    if builder.iam_role_arn:
        view["IamRoleArn"] = builder.iam_role_arn
    if builder.agent_access is not None:
        view["AgentAccessConfig"] = copy.deepcopy(builder.agent_access)
    _security_settings(view, builder.disable_imdsv1, builder.root_volume_gb)
    return view
