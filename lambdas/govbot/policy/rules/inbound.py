"""Rule ``inbound_only_from_trusted``: governed fleets and builders run only trusted images.

"Shared with me" images are owned by another account. A governed account's fleet or image
builder that runs one whose owner is not trusted runs software govbot's owners do not
control. The rule judges such an image as seen from the governed account (the snapshot's
``viewer_account_id`` and ``used_by``): one verdict per account and use (fleet, image
builder), naming the fleets or builders, the image and its owner. Report-only: govbot
never stops a customer's fleet or builder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from govbot.domain import ImageUse, PermissionKind
from govbot.policy.primitives import AccountId, Severity
from govbot.policy.results import Verdict
from govbot.policy.rules.base import PERMISSION_KINDS, RuleConfig, RuleContext
from govbot.policy.rules.registry import register_rule

MAX_NAMED = 10  # fleets or builders named in one reason; the rest are counted
_LABEL = {"fleet": "fleet", "image_builder": "image builder"}


@register_rule
class InboundOnlyFromTrusted(RuleConfig):
    """Fleets and image builders in governed accounts run images of trusted owners only.

    Trusted owners: ``owners``, plus, when ``include_trusted`` is true (the default),
    ``trusted_accounts`` and (with ``organization.trust_member_accounts``) the
    organization's members. AWS's public base images (no owner account) are always
    allowed, and so is an account's own image. ``uses`` limits the check to fleets or to
    image builders. Report-only, even in enforce mode.
    """

    # Software from outside the trusted set running where users stream from.
    default_severity: ClassVar[Severity] = "high"
    report_only: ClassVar[bool] = True
    reads_uses: ClassVar[bool] = True

    type: Literal["inbound_only_from_trusted"]
    owners: tuple[AccountId, ...] = ()
    include_trusted: bool = True
    uses: tuple[PermissionKind, ...] = PERMISSION_KINDS

    def owner_trust(self, ctx: RuleContext, owner: str) -> str | None:
        """Why ``owner`` is a trusted image owner under this rule, or None."""
        if owner in self.owners:
            return f"listed in the owners of rule {self.id}"
        return ctx.trust_reason(owner) if self.include_trusted else None

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """A verdict per consumer account and use kind of an image another account owns."""
        image = ctx.image
        owner = image.ref.account_id
        if not owner or not image.used_by:
            return  # an AWS public image, or nothing of a governed account runs it
        grouped: dict[tuple[str, PermissionKind], list[ImageUse]] = {}
        for use in image.used_by:
            if use.account_id != owner and use.kind in self.uses:
                grouped.setdefault((use.account_id, use.kind), []).append(use)
        trusted = self.owner_trust(ctx, owner)
        why_not = "not in trusted_accounts"
        if self.include_trusted and ctx.policy.organization.trust_member_accounts:
            why_not += ", not an organization member"
        if not self.include_trusted:
            why_not = "include_trusted is off"
        for (account, kind), found in sorted(grouped.items()):
            yield ctx.share_verdict(
                self,
                account,
                kind,
                allowed_because=trusted and f"the owner is {trusted}",
                violation_because=(
                    f"which is not a trusted image owner ({why_not}, not in the owners of "
                    f"rule {self.id})"
                ),
                subject=_subject(account, kind, found, image.ref.name, image.ref.arn, owner),
            )


def _subject(
    account: str, kind: PermissionKind, uses: list[ImageUse], name: str, arn: str, owner: str
) -> str:
    """``account A's fleet(s) f1, f2 run(s) image NAME (ARN) owned by account O``."""
    names = sorted(use.name for use in uses)
    shown = ", ".join(names[:MAX_NAMED])
    if len(names) > MAX_NAMED:
        shown += f" and {len(names) - MAX_NAMED} more"
    what = _LABEL[kind] + ("s" if len(names) > 1 else "")
    verb = "run" if len(names) > 1 else "runs"
    return (
        f"account {account}'s {what} {shown} {verb} image {name} ({arn}) owned by account {owner}"
    )
