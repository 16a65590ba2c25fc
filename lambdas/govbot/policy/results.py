"""What the engine returns: verdicts per rule/account/permission and minimal changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from govbot.domain import Mode, PermissionKind, Permissions, SharedAccountPermission
from govbot.policy.primitives import Severity

Outcome = Literal["allowed", "violation", "exempted"]


class Verdict(BaseModel):
    """One decision: what ``rule_id`` says about one permission of one account.

    ``account_id`` and ``permission`` are None for image-level verdicts (the cap rule).
    ``reason`` is a human sentence naming the account, the permission and why.
    """

    model_config = ConfigDict(defer_build=True, frozen=True)

    rule_id: str
    rule_type: str  # a registered rule type name
    account_id: str | None
    permission: PermissionKind | None
    outcome: Outcome
    mode: Mode
    severity: Severity
    reason: str
    report_only: bool = False
    exemption_id: str | None = None
    # True when enforce mode remedies it outside AppStream's share list (an exported AMI's
    # launch permission, a builder's agent access): not "left for people", yet no
    # AppStream permission change either.
    remedied_outside: bool = False

    @property
    def is_enforced(self) -> bool:
        """True when this verdict leads to a permission change (enforce, not report-only)."""
        return (
            self.outcome == "violation"
            and self.mode == "enforce"
            and not self.report_only
            and self.account_id is not None
            and self.permission is not None
        )


class PermissionChange(BaseModel):
    """The minimal change to one account's share: drop only forbidden permission kinds.

    ``after.is_empty()`` means the whole share goes (DeleteImagePermissions); otherwise
    the caller writes ``after`` with UpdateImagePermissions.
    """

    model_config = ConfigDict(defer_build=True, frozen=True)

    account_id: str
    before: Permissions
    after: Permissions
    rule_ids: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def revoked(self) -> frozenset[PermissionKind]:
        """The permission kinds this change removes."""
        return self.before.granted() - self.after.granted()

    @property
    def deletes_share(self) -> bool:
        """True when no permission remains (use DeleteImagePermissions)."""
        return self.after.is_empty()


class Evaluation(BaseModel):
    """Every verdict of the policy on one image, in a deterministic order."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    image_arn: str
    image_name: str
    shared_with: tuple[SharedAccountPermission, ...]
    verdicts: tuple[Verdict, ...]

    def violations(self) -> tuple[Verdict, ...]:
        """Every violation, in audit and enforce mode alike."""
        return tuple(v for v in self.verdicts if v.outcome == "violation")

    def audit_violations(self) -> tuple[Verdict, ...]:
        """Violations that are reported but not remedied (audit mode or report-only)."""
        return tuple(
            v
            for v in self.violations()
            if not v.is_enforced
            and not (v.remedied_outside and v.mode == "enforce" and not v.report_only)
        )

    def exempted(self) -> tuple[Verdict, ...]:
        """Verdicts excused by an exemption."""
        return tuple(v for v in self.verdicts if v.outcome == "exempted")

    def rule_ids(self) -> tuple[str, ...]:
        """Ids of the rules with at least one violation, in verdict order."""
        return tuple(dict.fromkeys(v.rule_id for v in self.violations()))

    def enforced_changes(self) -> tuple[PermissionChange, ...]:
        """The minimal permission changes that enforce-mode violations call for.

        One change per account, ordered by account id; accounts with nothing to drop are
        left out. Audit-mode and report-only violations produce no change.
        """
        return self._changes(lambda v: v.is_enforced)

    def changes_if_enforced(self) -> tuple[PermissionChange, ...]:
        """The changes enforce mode WOULD make: audit-mode violations counted as enforced
        (what ``govbot check`` shows before a rule is switched to enforce). Report-only rules
        still change nothing."""
        return self._changes(lambda v: v.outcome == "violation" and not v.report_only)

    def _changes(self, acts: Callable[[Verdict], bool]) -> tuple[PermissionChange, ...]:
        changes: list[PermissionChange] = []
        # Group once: a per-share scan of every verdict is quadratic at 100 accounts.
        by_account: dict[str, list[Verdict]] = {}
        for verdict in self.verdicts:
            if acts(verdict) and verdict.account_id is not None:
                by_account.setdefault(verdict.account_id, []).append(verdict)
        for share in self.shared_with:
            enforced = by_account.get(share.account_id, [])
            kinds = {v.permission for v in enforced if v.permission is not None}
            after = share.permissions.without(kinds)
            if after == share.permissions:
                continue
            changes.append(
                PermissionChange(
                    account_id=share.account_id,
                    before=share.permissions,
                    after=after,
                    rule_ids=tuple(dict.fromkeys(v.rule_id for v in enforced)),
                    reasons=tuple(dict.fromkeys(v.reason for v in enforced)),
                )
            )
        return tuple(changes)
