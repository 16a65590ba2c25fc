"""Rule ``max_shared_accounts``: a cap on how many accounts an image is shared with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from govbot.policy.primitives import Severity
from govbot.policy.results import Verdict
from govbot.policy.rules.base import RuleConfig, RuleContext
from govbot.policy.rules.registry import register_rule


@register_rule
class MaxSharedAccounts(RuleConfig):
    """An image may be shared with at most ``max`` accounts.

    Report-only, even in enforce mode: which account to drop is a human decision.
    """

    default_severity: ClassVar[Severity] = "medium"
    report_only: ClassVar[bool] = True

    type: Literal["max_shared_accounts"]
    max: int = Field(ge=0)

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """One image-level verdict, when the image is shared at all."""
        count = len(ctx.shares)
        if count == 0:
            return
        if count > self.max:
            reason = (
                f"image {ctx.name} is shared with {count} accounts, over the cap of {self.max} "
                "(report only: which account to drop is a human decision)"
            )
        else:
            reason = (
                f"image {ctx.name} is shared with {count} accounts, within the cap of {self.max}"
            )
        yield ctx.image_verdict(self, violation=count > self.max, reason=reason)
