"""Exemptions: time-boxed permissions to keep a share that a rule would otherwise flag."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime

from govbot.domain import PermissionKind
from govbot.policy.primitives import (
    AccountId,
    ExemptPermission,
    Identifier,
    NonEmptyText,
    StrictModel,
)
from govbot.policy.selectors import ImageSelector


class Exemption(StrictModel):
    """A time-boxed permission to keep a share that a rule would otherwise flag.

    The same model serves exemptions written in the policy file and those granted from
    Slack (stored in the ledger and passed to the engine at call time).
    """

    id: Identifier
    images: ImageSelector
    account: AccountId
    permission: ExemptPermission
    reason: NonEmptyText
    approver: NonEmptyText
    expires: AwareDatetime
    # Empty: the exemption applies to every rule.
    rules: tuple[Identifier, ...] = ()

    def is_active(self, now: datetime) -> bool:
        """True until ``expires`` (exclusive): an expired exemption no longer applies."""
        return now < self.expires

    def covers(
        self,
        *,
        image_name: str,
        image_tags: dict[str, str],
        account_id: str,
        permission: PermissionKind,
        rule_id: str,
        now: datetime,
    ) -> bool:
        """True when this exemption excuses ``permission`` of ``account_id`` under ``rule_id``."""
        return (
            self.is_active(now)
            and self.account == account_id
            and self.permission in ("any", permission)
            and (not self.rules or rule_id in self.rules)
            and self.images.matches(image_name, image_tags)
        )
