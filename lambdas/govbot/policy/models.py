"""The policy document: one typed, validated, immutable model of the YAML file."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ConfigDict, field_validator, model_validator

from govbot.domain import Mode
from govbot.policy.exemptions import Exemption
from govbot.policy.primitives import SlackUserId, StrictModel
from govbot.policy.rules import Rule
from govbot.policy.rules.registry import on_change
from govbot.policy.sections import (
    GoldenRule,
    Notifications,
    OrganizationTrust,
    Replication,
    TrustedAccount,
)

SUPPORTED_VERSION = 1


class Policy(StrictModel):
    """A whole policy (version 1). Build it with ``govbot.policy.loader``."""

    # Built on first validation, with the rule types registered by then (see below).
    model_config = ConfigDict(defer_build=True)

    version: int
    mode: Mode
    trusted_accounts: tuple[TrustedAccount, ...] = ()
    organization: OrganizationTrust = OrganizationTrust()
    rules: tuple[Rule, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    approvers: tuple[SlackUserId, ...] = ()
    golden: tuple[GoldenRule, ...] = ()
    replication: Replication = Replication()
    notifications: Notifications = Notifications()

    @field_validator("version")
    @classmethod
    def _supported_version(cls, value: int) -> int:
        if value != SUPPORTED_VERSION:
            raise ValueError(
                f"unsupported policy version {value}; this govbot reads version {SUPPORTED_VERSION}"
            )
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Policy:
        # Problems that span several entries. Each line carries its own field path so
        # the loader can report them like any other error.
        problems: list[str] = []
        problems += _duplicates("trusted_accounts", "id", (a.id for a in self.trusted_accounts))
        problems += _duplicates("rules", "id", (r.id for r in self.rules))
        problems += _duplicates("exemptions", "id", (e.id for e in self.exemptions))
        problems += _duplicates("golden", "id", (g.id for g in self.golden))
        problems += _duplicates(
            "notifications.routes", "name", (r.name for r in self.notifications.routes)
        )
        problems += _duplicates("approvers", "", self.approvers)
        rule_ids = {rule.id for rule in self.rules}
        for i, exemption in enumerate(self.exemptions):
            for j, rule_id in enumerate(exemption.rules):
                if rule_id not in rule_ids:
                    known = ", ".join(sorted(rule_ids)) or "none"
                    problems.append(
                        f"exemptions[{i}].rules[{j}]: no rule has id {rule_id!r} "
                        f"(rule ids: {known})"
                    )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def mode_of(self, rule: Rule) -> Mode:
        """The effective mode of ``rule``: its own, else the policy-wide one."""
        return rule.mode or self.mode

    def trusted_ids(self) -> frozenset[str]:
        """The explicitly trusted account ids."""
        return frozenset(account.id for account in self.trusted_accounts)

    def account_label(self, account_id: str) -> str:
        """``account 111111111111 (name)`` for humans, using trusted_accounts names."""
        for account in self.trusted_accounts:
            if account.id == account_id and account.name:
                return f"account {account_id} ({account.name})"
        return f"account {account_id}"

    def trust_reason(self, account_id: str, org_accounts: frozenset[str]) -> str | None:
        """Why ``account_id`` is trusted, or None when it is not.

        ``org_accounts`` counts only when ``organization.trust_member_accounts`` is on.
        """
        if account_id in self.trusted_ids():
            return "listed in trusted_accounts"
        if self.organization.trust_member_accounts and account_id in org_accounts:
            return "trusted account (organization member)"
        return None

    def is_approver(self, slack_user_id: str) -> bool:
        """True when this Slack user may grant exemptions."""
        return slack_user_id in self.approvers


def _duplicates(section: str, field: str, values: Iterable[str]) -> list[str]:
    first_seen: dict[str, int] = {}
    problems: list[str] = []
    suffix = f".{field}" if field else ""
    for index, value in enumerate(values):
        if value in first_seen:
            problems.append(
                f"{section}[{index}]{suffix}: duplicate {field or 'entry'} {value!r} "
                f"(already used by {section}[{first_seen[value]}])"
            )
        else:
            first_seen[value] = index
    return problems


def _rebuild_policy() -> None:
    # A rule type registered later (a plugin, a test) must validate like a built-in one.
    Policy.model_rebuild(force=True)


on_change(_rebuild_policy)
