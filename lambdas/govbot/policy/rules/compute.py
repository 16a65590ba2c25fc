"""Rules on the builders and fleets made from an image: AI agent access, IMDSv1, root
volume. ``image.compute`` lists them (the owner's own, read by the enforcer and the sweep)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from govbot.exit_facts import AgentAction, ComputeSettings
from govbot.policy.primitives import Severity
from govbot.policy.results import Verdict
from govbot.policy.rules.base import RuleConfig, RuleContext
from govbot.policy.rules.exports import account_verdict
from govbot.policy.rules.registry import register_rule

_LABEL = {"fleet": "fleet", "image_builder": "image builder"}


def _subject(item: ComputeSettings, image: str) -> str:
    return f"{_LABEL[item.kind]} {item.name} of account {item.account_id} (from image {image})"


@register_rule
class BuilderAgentAccess(RuleConfig):
    """AI agents on image builders: only ``allowed_actions`` may be ENABLED, and
    screenshots go only to one of ``screenshot_buckets`` (S3 bucket ARNs; empty: no
    screenshot upload at all).

    Remedy in enforce mode: UpdateImageBuilder sets the disallowed actions DISABLED and
    turns screenshot upload off when its bucket is not listed (``agent_access_remedy``).
    AgentAccessConfig names no KMS key: the bucket's own encryption is outside this rule.
    """

    default_severity: ClassVar[Severity] = "high"

    type: Literal["builder_agent_access"]
    allowed_actions: tuple[AgentAction, ...] = ()
    screenshot_buckets: tuple[str, ...] = ()

    def problems(self, item: ComputeSettings) -> list[str]:
        """What of ``item``'s agent access this rule refuses (empty: nothing)."""
        access = item.agent_access
        if access is None:
            return []
        found = [
            f"agent action {action} is enabled"
            for action in access.enabled
            if action not in self.allowed_actions
        ]
        if (
            access.screenshots_upload
            and access.screenshot_bucket_arn not in self.screenshot_buckets
        ):
            found.append(f"screenshots upload to {access.screenshot_bucket_arn or 'no bucket'}")
        return found

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """A verdict per image builder with agent access."""
        for item in ctx.image.compute:
            if item.kind != "image_builder" or item.agent_access is None:
                continue
            problems = self.problems(item)
            subject = _subject(item, ctx.name)
            reason = (
                f"{subject}: {'; '.join(problems)}, which rule {self.id} does not allow"
                if problems
                else f"{subject}: agent access allowed by rule {self.id}"
            )
            yield account_verdict(ctx, self, item.account_id, bool(problems), reason)


def agent_access_remedy(rule: BuilderAgentAccess, item: ComputeSettings) -> dict[str, Any] | None:
    """The ``AgentAccessConfig`` of the UpdateImageBuilder that brings ``item`` within
    ``rule`` (disallowed actions DISABLED, screenshot upload off), or None if it is."""
    access = item.agent_access
    if access is None or not rule.problems(item):
        return None
    update: dict[str, Any] = {
        "Settings": [
            {"AgentAction": action, "Permission": "DISABLED"}
            for action in access.enabled
            if action not in rule.allowed_actions
        ]
    }
    if access.screenshots_upload and access.screenshot_bucket_arn not in rule.screenshot_buckets:
        update["ScreenshotsUploadEnabled"] = False
    if not update["Settings"]:
        del update["Settings"]
    return update


@register_rule
class ComputeSecuritySettings(RuleConfig):
    """Builders and fleets made from the selected images: IMDSv1 disabled
    (``require_imdsv1_disabled``) and a root volume of at least ``min_root_volume_gb``.

    Report-only: neither setting of a running builder can be changed by UpdateImageBuilder.
    """

    default_severity: ClassVar[Severity] = "medium"
    report_only: ClassVar[bool] = True

    type: Literal["compute_security_settings"]
    require_imdsv1_disabled: bool = True
    min_root_volume_gb: int | None = None
    kinds: tuple[Literal["fleet", "image_builder"], ...] = ("fleet", "image_builder")

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """A verdict per fleet or builder of the selected kinds."""
        for item in ctx.image.compute:
            if item.kind not in self.kinds:
                continue
            problems: list[str] = []
            if self.require_imdsv1_disabled and item.disable_imdsv1 is not True:
                problems.append("IMDSv1 is not disabled (DisableIMDSV1 is not true)")
            minimum = self.min_root_volume_gb
            size = item.root_volume_gb
            if minimum is not None and (size is None or size < minimum):
                problems.append(
                    f"root volume {'default' if size is None else f'{size} GB'} is under "
                    f"{minimum} GB"
                )
            subject = _subject(item, ctx.name)
            reason = (
                f"{subject}: {'; '.join(problems)} (rule {self.id})"
                if problems
                else f"{subject}: settings allowed by rule {self.id}"
            )
            yield account_verdict(ctx, self, item.account_id, bool(problems), reason)
