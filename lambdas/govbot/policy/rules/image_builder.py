"""Rule ``no_image_builder_for_untrusted``: only trusted accounts may build from an image."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from govbot.policy.primitives import Severity
from govbot.policy.results import Verdict
from govbot.policy.rules.base import RuleConfig, RuleContext
from govbot.policy.rules.registry import register_rule


@register_rule
class NoImageBuilderForUntrusted(RuleConfig):
    """Only trusted accounts may hold image-builder permission.

    Remedy: revoke the image-builder permission only; a fleet permission is kept.
    """

    # A granted builder permission lets the other account copy the image out of our
    # control for good: the worst case.
    default_severity: ClassVar[Severity] = "critical"

    type: Literal["no_image_builder_for_untrusted"]

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """A verdict for every account holding image-builder permission."""
        untrusted = "but is not trusted (not in trusted_accounts"
        untrusted += (
            ", not an organization member)"
            if ctx.policy.organization.trust_member_accounts
            else ")"
        )
        for share in ctx.shares:
            if share.permissions.allow_image_builder:
                yield ctx.share_verdict(
                    self,
                    share.account_id,
                    "image_builder",
                    allowed_because=ctx.trust_reason(share.account_id),
                    violation_because=untrusted,
                )
