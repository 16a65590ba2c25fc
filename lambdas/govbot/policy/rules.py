"""Permission rules and exemptions (the part of the policy the engine evaluates)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, Field

from govbot.domain import Mode, PermissionKind
from govbot.policy.primitives import (
    AccountId,
    ExemptPermission,
    Identifier,
    NonEmptyText,
    Severity,
    StrictModel,
)
from govbot.policy.selectors import ImageSelector

RuleType = Literal[
    "no_image_builder_for_untrusted",
    "fleet_only_for_listed",
    "never_share",
    "max_shared_accounts",
]
RULE_TYPES: Final[tuple[RuleType, ...]] = (
    "no_image_builder_for_untrusted",
    "fleet_only_for_listed",
    "never_share",
    "max_shared_accounts",
)


class _RuleBase(StrictModel):
    """Fields every rule has."""

    id: Identifier
    description: str | None = None
    images: ImageSelector = ImageSelector()
    # None: inherit the policy-wide mode.
    mode: Mode | None = None
    # None: the default severity of the rule type (see DEFAULT_SEVERITY).
    severity: Severity | None = None

    @property
    def report_only(self) -> bool:
        """True when a violation of this rule never leads to an automatic change."""
        return False

    def effective_severity(self) -> Severity:
        """The severity of this rule's violations."""
        return self.severity or DEFAULT_SEVERITY[self.type]  # type: ignore[attr-defined]


class NoImageBuilderForUntrusted(_RuleBase):
    """Only trusted accounts may hold image-builder permission.

    Remedy: revoke the image-builder permission only; a fleet permission is kept.
    """

    type: Literal["no_image_builder_for_untrusted"]


class FleetOnlyForListed(_RuleBase):
    """Only the listed accounts may hold fleet permission.

    Allowed = ``accounts``, plus every trusted account when ``include_trusted`` is true.
    Remedy: revoke the fleet permission, which is disruptive (AppStream sets the desired
    capacity of that account's fleets using the image to 0).
    """

    type: Literal["fleet_only_for_listed"]
    accounts: tuple[AccountId, ...]
    include_trusted: bool = False


class NeverShare(_RuleBase):
    """The selected images must not be shared at all.

    Remedy: revoke every permission of every account (trust does not apply).
    """

    type: Literal["never_share"]


class MaxSharedAccounts(_RuleBase):
    """An image may be shared with at most ``max`` accounts.

    Report-only, even in enforce mode: which account to drop is a human decision.
    """

    type: Literal["max_shared_accounts"]
    max: int = Field(ge=0)

    @property
    def report_only(self) -> bool:
        """Always true: the cap is never enforced automatically."""
        return True


Rule = Annotated[
    NoImageBuilderForUntrusted | FleetOnlyForListed | NeverShare | MaxSharedAccounts,
    Field(discriminator="type"),
]

DEFAULT_SEVERITY: Final[dict[str, Severity]] = {
    # A granted builder permission lets the other account copy the image out of our
    # control for good: the worst case.
    "no_image_builder_for_untrusted": "critical",
    "fleet_only_for_listed": "high",
    "never_share": "high",
    "max_shared_accounts": "medium",
}


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
