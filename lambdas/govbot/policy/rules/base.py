"""What every rule type shares: its config fields, and the context its check reads.

A rule type subclasses ``RuleConfig``: it declares ``type: Literal["<name>"]`` and its own
config fields, sets ``default_severity``, and implements ``check`` (the verdicts it gives
on one image). ``RuleContext`` gives every check the same inputs and verdict builders, so
a check says only what is allowed and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from pydantic import ConfigDict

from govbot.domain import ImageSnapshot, Mode, PermissionKind, SharedAccountPermission
from govbot.policy.exemptions import Exemption
from govbot.policy.primitives import Identifier, Severity, StrictModel
from govbot.policy.results import Outcome, Verdict
from govbot.policy.sections import OrganizationTrust
from govbot.policy.selectors import ImageSelector

PERMISSION_KINDS: tuple[PermissionKind, ...] = ("fleet", "image_builder")


class RuleConfig(StrictModel):
    """Fields every rule has; subclasses add ``type``, their own fields and ``check``."""

    # Built when the policy model is: a rule class costs nothing until a policy is read.
    model_config = ConfigDict(defer_build=True)

    #: The severity of this type's violations when the rule sets none.
    default_severity: ClassVar[Severity] = "medium"
    #: True when a violation never leads to an automatic change (even in enforce mode).
    report_only: ClassVar[bool] = False
    #: True when ``check`` reads ``image.used_by`` (a governed account's fleets and builders
    #: on another account's image): only then do the enforcer and the sweep read them.
    reads_uses: ClassVar[bool] = False
    #: True when ``check`` reads ``image.tags`` itself (beyond the ``images`` selector):
    #: the enforcer then reads an image's tags for every event, not only when a selector
    #: names tags (``policy.engine.reads_tags``).
    reads_tags: ClassVar[bool] = False

    id: Identifier
    description: str | None = None
    images: ImageSelector = ImageSelector()
    # None: inherit the policy-wide mode.
    mode: Mode | None = None
    # None: the rule type's default_severity.
    severity: Severity | None = None

    @property
    def type_name(self) -> str:
        """The rule's ``type`` tag."""
        return str(getattr(self, "type", type(self).__name__))

    def effective_severity(self) -> Severity:
        """The severity of this rule's violations."""
        return self.severity or self.default_severity

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """The verdicts of this rule on ``ctx.image`` (only called when ``images`` selects it)."""
        raise NotImplementedError(f"rule type {self.type_name!r} does not implement check()")


class PolicyView(Protocol):
    """What a rule reads of the policy it belongs to (``govbot.policy.models.Policy``).

    A Protocol, so the rules do not import the policy model that is built from them.
    """

    @property
    def organization(self) -> OrganizationTrust: ...
    def mode_of(self, rule: RuleConfig) -> Mode: ...
    def account_label(self, account_id: str) -> str: ...
    def trust_reason(self, account_id: str, org_accounts: frozenset[str]) -> str | None: ...


@dataclass(frozen=True)
class RuleContext:
    """Everything one evaluation needs, computed once, and the verdict builders."""

    image: ImageSnapshot
    shares: tuple[SharedAccountPermission, ...]  # merged, non-empty, by account id
    policy: PolicyView
    now: datetime
    org_accounts: frozenset[str]
    exemptions: tuple[Exemption, ...]  # file exemptions first, then call-time ones

    @property
    def name(self) -> str:
        """The image name."""
        return self.image.ref.name

    def trust_reason(self, account_id: str) -> str | None:
        """Why ``account_id`` is trusted here, or None."""
        return self.policy.trust_reason(account_id, self.org_accounts)

    def holds(self, account_id: str, kind: PermissionKind) -> str:
        """``account 1111... (name) holds fleet permission on image NAME``."""
        label = self.policy.account_label(account_id)
        return f"{label} holds {kind} permission on image {self.name}"

    def exemption_for(
        self, rule: RuleConfig, account_id: str, kind: PermissionKind
    ) -> Exemption | None:
        """The first active exemption excusing this permission under ``rule``."""
        for exemption in self.exemptions:
            if exemption.covers(
                image_name=self.name,
                image_tags=self.image.tags,
                account_id=account_id,
                permission=kind,
                rule_id=rule.id,
                now=self.now,
            ):
                return exemption
        return None

    def share_verdict(
        self,
        rule: RuleConfig,
        account_id: str,
        kind: PermissionKind,
        *,
        allowed_because: str | None,
        violation_because: str,
        subject: str | None = None,
    ) -> Verdict:
        """One account-level verdict: allowed, else exempted, else violation.

        ``subject`` starts the reason (default: "account ... holds KIND permission on image").
        """
        holds = subject or self.holds(account_id, kind)
        outcome: Outcome
        exemption = None
        if allowed_because is not None:
            outcome, reason = "allowed", f"{holds}: allowed, {allowed_because}"
        else:
            exemption = self.exemption_for(rule, account_id, kind)
            if exemption is not None:
                outcome = "exempted"
                reason = (
                    f"{holds} {violation_because}; exempted by {exemption.id} until "
                    f"{exemption.expires.isoformat()} (approved by {exemption.approver}: "
                    f"{exemption.reason})"
                )
            else:
                outcome, reason = "violation", f"{holds} {violation_because}"
        return Verdict(
            rule_id=rule.id,
            rule_type=rule.type_name,
            account_id=account_id,
            permission=kind,
            outcome=outcome,
            mode=self.policy.mode_of(rule),
            severity=rule.effective_severity(),
            reason=reason,
            report_only=rule.report_only,
            exemption_id=exemption.id if exemption else None,
        )

    def image_verdict(self, rule: RuleConfig, *, violation: bool, reason: str) -> Verdict:
        """One image-level verdict (no account, no permission kind; never exempted)."""
        return Verdict(
            rule_id=rule.id,
            rule_type=rule.type_name,
            account_id=None,
            permission=None,
            outcome="violation" if violation else "allowed",
            mode=self.policy.mode_of(rule),
            severity=rule.effective_severity(),
            reason=reason,
            report_only=rule.report_only,
        )
