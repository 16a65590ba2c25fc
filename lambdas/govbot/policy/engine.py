"""The one policy engine: pure, deterministic, no I/O and no clock reads.

Used by the enforcer, the drift sweep, the replicator and the CLI alike. The caller reads
the current state (image snapshot, organization members, Slack-granted exemptions) and
the current time, and acts on the result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from govbot.domain import ImageSnapshot, PermissionKind, Permissions, SharedAccountPermission
from govbot.policy.models import Policy
from govbot.policy.results import Evaluation, Outcome, Verdict
from govbot.policy.rules import (
    Exemption,
    FleetOnlyForListed,
    MaxSharedAccounts,
    NeverShare,
    NoImageBuilderForUntrusted,
    Rule,
)
from govbot.policy.sections import GoldenRule

_KINDS: tuple[PermissionKind, ...] = ("fleet", "image_builder")


@dataclass(frozen=True)
class _Context:
    """Everything one evaluation needs, computed once."""

    image: ImageSnapshot
    shares: tuple[SharedAccountPermission, ...]
    policy: Policy
    now: datetime
    org_accounts: frozenset[str]
    exemptions: tuple[Exemption, ...]

    @property
    def name(self) -> str:
        return self.image.ref.name

    def exemption_for(self, rule: Rule, account_id: str, kind: PermissionKind) -> Exemption | None:
        # File exemptions first, then call-time ones: the first that covers wins.
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


def evaluate(
    image: ImageSnapshot,
    policy: Policy,
    now: datetime,
    *,
    org_accounts: frozenset[str] = frozenset(),
    extra_exemptions: Sequence[Exemption] = (),
) -> Evaluation:
    """Judge every share of ``image`` against every rule of ``policy`` that selects it.

    Parameters
    ----------
    image:
        The current state of the image, with its share list.
    policy:
        The loaded policy.
    now:
        The current time (timezone-aware); decides which exemptions are still active.
    org_accounts:
        Member accounts of the AWS Organization; trusted only when
        ``organization.trust_member_accounts`` is on.
    extra_exemptions:
        Exemptions granted outside the file (from Slack), same model.

    Verdicts come in policy rule order, then account id order, then permission kind.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("evaluate() needs a timezone-aware 'now'")
    ctx = _Context(
        image=image,
        shares=_normalise(image.shared_with),
        policy=policy,
        now=now,
        org_accounts=org_accounts,
        exemptions=(*policy.exemptions, *extra_exemptions),
    )
    verdicts: list[Verdict] = []
    for rule in policy.rules:
        if rule.images.matches(image.ref.name, image.tags):
            verdicts.extend(_verdicts(ctx, rule))
    return Evaluation(
        image_arn=image.ref.arn,
        image_name=image.ref.name,
        shared_with=ctx.shares,
        verdicts=tuple(verdicts),
    )


def apply_changes(image: ImageSnapshot, evaluation: Evaluation) -> ImageSnapshot:
    """The snapshot ``image`` would become once ``evaluation.enforced_changes()`` are done."""
    after = {change.account_id: change.after for change in evaluation.enforced_changes()}
    shares = tuple(
        SharedAccountPermission(
            account_id=share.account_id,
            permissions=after.get(share.account_id, share.permissions),
        )
        for share in _normalise(image.shared_with)
    )
    return image.model_copy(update={"shared_with": tuple(s for s in shares if _granted(s))})


def golden_rules_for(image: ImageSnapshot, policy: Policy) -> tuple[GoldenRule, ...]:
    """The golden rules whose source ``image`` is: pinned place, selector and family prefix.

    An image outside a rule's ``source_region`` (or ``source_account``) is never its source,
    and neither is an image in a region that a rule selecting it copies *to*: a copy (a
    person's included) in a destination region is never copied on.
    """
    name, tags, ref = image.ref.name, image.tags, image.ref
    selecting = [rule for rule in policy.golden if rule.selects(name, tags)]
    if any(ref.region in rule.destinations for rule in selecting):
        return ()
    return tuple(rule for rule in selecting if rule.is_source_place(ref.account_id, ref.region))


def allowed_to_propagate(
    image: ImageSnapshot,
    shares: Sequence[SharedAccountPermission],
    policy: Policy,
    now: datetime,
    org_accounts: frozenset[str] = frozenset(),
    extra_exemptions: Sequence[Exemption] = (),
) -> tuple[SharedAccountPermission, ...]:
    """The part of ``shares`` a replica of ``image`` may be shared with.

    Every violating permission is dropped whatever the mode: audit mode means the bot
    does not remove what people did, but the bot itself must never create a share its
    policy forbids. Report-only rules (the cap) drop nothing. Exempted permissions stay.
    """
    candidate = image.model_copy(update={"shared_with": tuple(shares)})
    evaluation = evaluate(
        candidate,
        policy,
        now,
        org_accounts=org_accounts,
        extra_exemptions=extra_exemptions,
    )
    kept: list[SharedAccountPermission] = []
    for share in evaluation.shared_with:
        forbidden = {
            v.permission
            for v in evaluation.verdicts
            if v.outcome == "violation"
            and not v.report_only
            and v.account_id == share.account_id
            and v.permission is not None
        }
        permissions = share.permissions.without(forbidden)
        if not permissions.is_empty():
            kept.append(
                SharedAccountPermission(account_id=share.account_id, permissions=permissions)
            )
    return tuple(kept)


# --- rule checks -----------------------------------------------------------------------


def _granted(share: SharedAccountPermission) -> bool:
    return not share.permissions.is_empty()


def _normalise(
    shares: Sequence[SharedAccountPermission],
) -> tuple[SharedAccountPermission, ...]:
    """Merge duplicate accounts, drop empty grants, sort by account id (determinism)."""
    merged: dict[str, Permissions] = {}
    for share in shares:
        seen = merged.get(share.account_id, Permissions())
        merged[share.account_id] = Permissions(
            allow_fleet=seen.allow_fleet or share.permissions.allow_fleet,
            allow_image_builder=seen.allow_image_builder or share.permissions.allow_image_builder,
        )
    return tuple(
        SharedAccountPermission(account_id=account, permissions=permissions)
        for account, permissions in sorted(merged.items())
        if not permissions.is_empty()
    )


def _judge(
    ctx: _Context,
    rule: Rule,
    account_id: str,
    kind: PermissionKind,
    *,
    allowed_because: str | None,
    holds: str,
    violation_because: str,
) -> Verdict:
    """One account-level verdict: allowed, else exempted, else violation."""
    outcome: Outcome
    exemption = None
    if allowed_because is not None:
        outcome, reason = "allowed", f"{holds}: allowed, {allowed_because}"
    else:
        exemption = ctx.exemption_for(rule, account_id, kind)
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
        rule_type=rule.type,
        account_id=account_id,
        permission=kind,
        outcome=outcome,
        mode=ctx.policy.mode_of(rule),
        severity=rule.effective_severity(),
        reason=reason,
        report_only=rule.report_only,
        exemption_id=exemption.id if exemption else None,
    )


def _holds(ctx: _Context, account_id: str, kind: PermissionKind) -> str:
    label = ctx.policy.account_label(account_id)
    return f"{label} holds {kind} permission on image {ctx.name}"


def _check_builder(ctx: _Context, rule: NoImageBuilderForUntrusted) -> Iterator[Verdict]:
    untrusted = "but is not trusted (not in trusted_accounts"
    untrusted += (
        ", not an organization member)" if ctx.policy.organization.trust_member_accounts else ")"
    )
    for share in ctx.shares:
        if share.permissions.allow_image_builder:
            yield _judge(
                ctx,
                rule,
                share.account_id,
                "image_builder",
                allowed_because=ctx.policy.trust_reason(share.account_id, ctx.org_accounts),
                holds=_holds(ctx, share.account_id, "image_builder"),
                violation_because=untrusted,
            )


def _check_fleet(ctx: _Context, rule: FleetOnlyForListed) -> Iterator[Verdict]:
    for share in ctx.shares:
        if not share.permissions.allow_fleet:
            continue
        allowed: str | None = None
        if share.account_id in rule.accounts:
            allowed = f"listed in the accounts of rule {rule.id}"
        elif rule.include_trusted:
            allowed = ctx.policy.trust_reason(share.account_id, ctx.org_accounts)
        yield _judge(
            ctx,
            rule,
            share.account_id,
            "fleet",
            allowed_because=allowed,
            holds=_holds(ctx, share.account_id, "fleet"),
            violation_because=f"but is not listed in the accounts of rule {rule.id}",
        )


def _check_never(ctx: _Context, rule: NeverShare) -> Iterator[Verdict]:
    for share in ctx.shares:
        for kind in _KINDS:
            if kind in share.permissions.granted():
                yield _judge(
                    ctx,
                    rule,
                    share.account_id,
                    kind,
                    allowed_because=None,
                    holds=_holds(ctx, share.account_id, kind),
                    violation_because="but the image must never be shared",
                )


def _check_cap(ctx: _Context, rule: MaxSharedAccounts) -> Iterator[Verdict]:
    count = len(ctx.shares)
    if count == 0:
        return
    over = count > rule.max
    if over:
        reason = (
            f"image {ctx.name} is shared with {count} accounts, over the cap of {rule.max} "
            "(report only: which account to drop is a human decision)"
        )
    else:
        reason = f"image {ctx.name} is shared with {count} accounts, within the cap of {rule.max}"
    yield Verdict(
        rule_id=rule.id,
        rule_type=rule.type,
        account_id=None,
        permission=None,
        outcome="violation" if over else "allowed",
        mode=ctx.policy.mode_of(rule),
        severity=rule.effective_severity(),
        reason=reason,
        report_only=True,
    )


def _verdicts(ctx: _Context, rule: Rule) -> Iterator[Verdict]:
    """Dispatch on the rule type."""
    if isinstance(rule, NoImageBuilderForUntrusted):
        yield from _check_builder(ctx, rule)
    elif isinstance(rule, FleetOnlyForListed):
        yield from _check_fleet(ctx, rule)
    elif isinstance(rule, NeverShare):
        yield from _check_never(ctx, rule)
    else:
        yield from _check_cap(ctx, rule)
