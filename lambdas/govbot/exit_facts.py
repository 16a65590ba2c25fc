"""What govbot knows of the ways an image leaves (or enters) AppStream's control.

Pure data, read by the gateways and judged by the exit rules (``policy/rules/exports.py``,
``imports.py``, ``compute.py``): an image's exports to EC2 AMIs with the AMIs' launch
permissions, where an imported image came from, and the agent access and security
settings of the builders and fleets made from an image.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

AgentAction = Literal["COMPUTER_VISION", "COMPUTER_INPUT", "FORWARD_MCP_TOOLS"]
AGENT_ACTIONS: tuple[AgentAction, ...] = ("COMPUTER_VISION", "COMPUTER_INPUT", "FORWARD_MCP_TOOLS")
# The launch-permission "account" that means everyone (EC2's Group "all").
PUBLIC_LAUNCH = "all"
EXPORT_RULES = frozenset({"no_export", "exported_ami_launch_only_trusted"})
COMPUTE_RULES = frozenset({"builder_agent_access", "compute_security_settings"})
IMPORT_RULES = frozenset({"imported_image_trusted"})
# Events about a way out: the enforcer reads an image's exits for these only (the drift
# sweep reads them for every image), so other events cost no more calls.
EXIT_EVENTS = frozenset(
    {
        "CreateExportImageTask",
        "CreateImportedImage",
        "CreateImageBuilder",
        "UpdateImageBuilder",
        "StartImageBuilder",
        "CreateImageBuilderStreamingURL",
        "ModifyImageAttribute",
    }
)


class ImageExport(BaseModel):
    """One CreateExportImageTask of an image, and what EC2 says of the AMI it made.

    ``launch_accounts`` are the AMI's launch permissions (account ids; ``"all"`` when the
    AMI is public); ``actor_arn`` is who exported, when an event told it (the sweep does
    not know it: ListExportImageTasks does not say).
    """

    model_config = ConfigDict(defer_build=True, frozen=True)

    task_id: str
    state: str
    ami_name: str
    ami_id: str | None = None
    tags: dict[str, str] = {}
    actor_arn: str | None = None
    launch_accounts: tuple[str, ...] = ()


class ImportSource(BaseModel):
    """Where an imported image came from: an EC2 AMI (and its owner) or a WorkSpaces image."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    source_ami_id: str | None = None
    ami_owner: str | None = None
    workspace_image_id: str | None = None
    role_arn: str | None = None


class AgentAccess(BaseModel):
    """A builder's ``AgentAccessConfig``: the enabled agent actions and the screenshots."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    enabled: tuple[AgentAction, ...] = ()
    screenshot_bucket_arn: str | None = None
    screenshots_upload: bool = False


class ComputeSettings(BaseModel):
    """The security settings of one fleet or image builder made from an image."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    kind: Literal["fleet", "image_builder"]
    name: str
    account_id: str
    region: str
    disable_imdsv1: bool | None = None
    root_volume_gb: int | None = None
    agent_access: AgentAccess | None = None
