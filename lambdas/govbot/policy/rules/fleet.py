"""Rule ``fleet_only_for_listed``: fleet permission only for the listed accounts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from govbot.policy.primitives import AccountId, Severity
from govbot.policy.results import Verdict
from govbot.policy.rules.base import RuleConfig, RuleContext
from govbot.policy.rules.registry import register_rule


@register_rule
class FleetOnlyForListed(RuleConfig):
    """Only the listed accounts may hold fleet permission.

    Allowed = ``accounts``, plus every trusted account when ``include_trusted`` is true.
    Remedy: revoke the fleet permission, which is disruptive (AppStream sets the desired
    capacity of that account's fleets using the image to 0).
    """

    default_severity: ClassVar[Severity] = "high"

    type: Literal["fleet_only_for_listed"]
    accounts: tuple[AccountId, ...]
    include_trusted: bool = False

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """A verdict for every account holding fleet permission."""
        for share in ctx.shares:
            if not share.permissions.allow_fleet:
                continue
            allowed: str | None = None
            if share.account_id in self.accounts:
                allowed = f"listed in the accounts of rule {self.id}"
            elif self.include_trusted:
                allowed = ctx.trust_reason(share.account_id)
            yield ctx.share_verdict(
                self,
                share.account_id,
                "fleet",
                allowed_because=allowed,
                violation_because=f"but is not listed in the accounts of rule {self.id}",
            )
