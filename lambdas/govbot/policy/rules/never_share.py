"""Rule ``never_share``: the selected images must not be shared at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from govbot.policy.primitives import Severity
from govbot.policy.results import Verdict
from govbot.policy.rules.base import PERMISSION_KINDS, RuleConfig, RuleContext
from govbot.policy.rules.registry import register_rule


@register_rule
class NeverShare(RuleConfig):
    """The selected images must not be shared at all.

    Remedy: revoke every permission of every account (trust does not apply).
    """

    default_severity: ClassVar[Severity] = "high"

    type: Literal["never_share"]

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """A violation (unless exempted) for every permission of every account."""
        for share in ctx.shares:
            for kind in PERMISSION_KINDS:
                if kind in share.permissions.granted():
                    yield ctx.share_verdict(
                        self,
                        share.account_id,
                        kind,
                        allowed_because=None,
                        violation_because="but the image must never be shared",
                    )
