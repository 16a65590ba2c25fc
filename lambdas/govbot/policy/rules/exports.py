"""Rules on images exported to EC2 AMIs: who may export which image, and who may launch
the AMI an export made (EC2 launch permissions, outside AppStream's sharing)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import ClassVar, Literal

from govbot.exit_facts import PUBLIC_LAUNCH, ImageExport
from govbot.policy.primitives import AccountId, Severity
from govbot.policy.results import Evaluation, Verdict
from govbot.policy.rules.base import RuleConfig, RuleContext
from govbot.policy.rules.registry import register_rule

# Export tasks that made (or are making) an AMI; a FAILED or TIMED_OUT one made nothing.
LIVE_EXPORT_STATES = frozenset({"EXPORTING", "COMPLETED"})


def account_verdict(
    ctx: RuleContext, rule: RuleConfig, account_id: str | None, violation: bool, reason: str
) -> Verdict:
    """A verdict naming an account but no AppStream permission kind (never exempted: the
    exemption grants of Slack are per AppStream permission)."""
    return Verdict(
        rule_id=rule.id,
        rule_type=rule.type_name,
        account_id=account_id,
        permission=None,
        outcome="violation" if violation else "allowed",
        mode=ctx.policy.mode_of(rule),
        severity=rule.effective_severity(),
        reason=reason,
        report_only=rule.report_only,
        # The exit rules that are not report-only are remedied outside AppStream (EC2,
        # UpdateImageBuilder) by ``govbot.enforcer.exits``.
        remedied_outside=not rule.report_only,
    )


@register_rule
class NoExport(RuleConfig):
    """The selected images may be exported to an AMI only by the listed principals, or
    only when they carry the listed tags; with neither listed, never.

    ``principals`` are ARN globs (``arn:aws:iam::111122223333:role/ImageAdmin*``); the
    drift sweep does not know who exported (ListExportImageTasks does not say), so there
    only ``tagged`` can allow an export. Report-only: an AMI cannot be un-exported; its
    launch permissions are governed by ``exported_ami_launch_only_trusted``.
    """

    default_severity: ClassVar[Severity] = "high"
    report_only: ClassVar[bool] = True

    type: Literal["no_export"]
    principals: tuple[str, ...] = ()
    tagged: dict[str, str] = {}

    def allowed_because(self, export: ImageExport, tags: Mapping[str, str]) -> str | None:
        """Why this export is allowed, or None."""
        actor = export.actor_arn
        if actor and any(fnmatchcase(actor, glob) for glob in self.principals):
            return f"exported by {actor}, listed in the principals of rule {self.id}"
        if self.tagged and all(tags.get(k) == v for k, v in self.tagged.items()):
            shown = ", ".join(f"{k}={v}" for k, v in sorted(self.tagged.items()))
            return f"the image is tagged {shown}"
        return None

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """A verdict per export task that made (or is making) an AMI."""
        for export in ctx.image.exports:
            if export.state not in LIVE_EXPORT_STATES:
                continue
            subject = (
                f"image {ctx.name} was exported to AMI {export.ami_id or export.ami_name} "
                f"(task {export.task_id}"
                + (f", by {export.actor_arn})" if export.actor_arn else ")")
            )
            allowed = self.allowed_because(export, ctx.image.tags)
            reason = (
                f"{subject}: allowed, {allowed}"
                if allowed
                else f"{subject} but rule {self.id} allows no such export"
            )
            yield account_verdict(ctx, self, None, allowed is None, reason)


@register_rule
class ExportedAmiLaunchOnlyTrusted(RuleConfig):
    """The AMIs exported from the selected images may be launched only by trusted accounts.

    Allowed: ``accounts``, plus (``include_trusted``, the default) the policy's trusted
    accounts and organization members. A public AMI (launch group ``all``) is always a
    violation. Remedy in enforce mode: the untrusted accounts' launch permissions are
    removed (``ec2:ModifyImageAttribute``); the AMI itself stays.
    """

    default_severity: ClassVar[Severity] = "critical"

    type: Literal["exported_ami_launch_only_trusted"]
    accounts: tuple[AccountId, ...] = ()
    include_trusted: bool = True

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """A verdict per account (and per AMI) holding a launch permission."""
        for export in ctx.image.exports:
            if not export.ami_id:
                continue
            for account in sorted(set(export.launch_accounts)):
                holds = (
                    f"{'everyone' if account == PUBLIC_LAUNCH else 'account ' + account} may "
                    f"launch AMI {export.ami_id} exported from image {ctx.name}"
                )
                allowed: str | None = None
                if account in self.accounts:
                    allowed = f"listed in the accounts of rule {self.id}"
                elif self.include_trusted and account != PUBLIC_LAUNCH:
                    allowed = ctx.trust_reason(account)
                reason = (
                    f"{holds}: allowed, {allowed}"
                    if allowed
                    else f"{holds} but is not trusted by rule {self.id}"
                )
                yield account_verdict(ctx, self, account, allowed is None, reason)


def launch_removals(
    evaluation: Evaluation, exports: tuple[ImageExport, ...], *, if_enforced: bool = False
) -> dict[str, tuple[str, ...]]:
    """``{ami_id: accounts}`` whose launch permissions enforce mode removes: the enforce-mode
    violations of ``exported_ami_launch_only_trusted`` mapped back to the AMIs they hold
    (``if_enforced``: the audit-mode ones too, as enforce mode would)."""
    untrusted = {
        v.account_id
        for v in evaluation.verdicts
        if v.rule_type == "exported_ami_launch_only_trusted"
        and v.outcome == "violation"
        and (v.mode == "enforce" or if_enforced)
        and not v.report_only
        and v.account_id is not None
    }
    removals: dict[str, tuple[str, ...]] = {}
    for export in exports:
        found = tuple(sorted(a for a in set(export.launch_accounts) if a in untrusted))
        if export.ami_id and found:
            removals[export.ami_id] = found
    return removals
