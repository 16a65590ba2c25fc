"""The one policy engine: pure, deterministic, no I/O and no clock reads.

Used by the enforcer, the drift sweep, the replicator and the CLI alike, each through a
``govbot.policy.judge.Judge`` that gathers the inputs (policy, organization members,
Slack-granted exemptions, the current time) the same way. Rule checks live with their
rule types in ``govbot.policy.rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from govbot.domain import ImageSnapshot, Permissions, SharedAccountPermission
from govbot.exit_facts import COMPUTE_RULES, EXPORT_RULES, IMPORT_RULES
from govbot.policy.exemptions import Exemption
from govbot.policy.models import Policy
from govbot.policy.results import Evaluation, Verdict
from govbot.policy.rules import RuleContext
from govbot.policy.sections import GoldenRule


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
    ctx = RuleContext(
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
            # Each rule type checks itself (see policy/rules/): no dispatch here.
            verdicts.extend(rule.check(ctx))
    return Evaluation(
        image_arn=image.ref.arn,
        image_name=image.ref.name,
        shared_with=ctx.shares,
        verdicts=tuple(verdicts),
    )


def reads_tags(policy: Policy) -> bool:
    """True when :func:`evaluate` can depend on an image's tags: a rule's type reads them
    (``reads_tags``), or a rule or an exemption of ``policy`` selects images by tag
    (Slack-granted exemptions select by name only)."""
    return any(rule.reads_tags or rule.images.tags for rule in policy.rules) or any(
        exemption.images.tags for exemption in policy.exemptions
    )


def reads_uses(policy: Policy) -> bool:
    """True when a rule type of ``policy`` reads ``image.used_by`` (``reads_uses``): only
    then are a governed account's fleets and builders read."""
    return any(rule.reads_uses for rule in policy.rules)


def reads_exits(policy: Policy) -> bool:
    """True when a rule of ``policy`` judges exports or builders' and fleets' settings."""
    exits = EXPORT_RULES | COMPUTE_RULES | IMPORT_RULES
    return any(rule.type_name in exits for rule in policy.rules)


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


# --- helpers ---------------------------------------------------------------------------


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
