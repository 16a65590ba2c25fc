"""Rule ``imported_image_trusted``: an image imported from an EC2 AMI (or a WorkSpaces
image) must come from a trusted AMI owner, through a listed role, with the listed tags."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import ClassVar, Literal

from govbot.policy.primitives import AccountId, Severity
from govbot.policy.results import Verdict
from govbot.policy.rules.base import RuleConfig, RuleContext
from govbot.policy.rules.exports import account_verdict
from govbot.policy.rules.registry import register_rule


@register_rule
class ImportedImageTrusted(RuleConfig):
    """Imported images: the source AMI's owner is trusted (``owners``, plus the policy's
    trusted accounts and organization members with ``include_trusted``; an AMI of the
    importing account itself is allowed); the import role matches one of ``roles`` (ARN
    globs; empty: any role); the image carries every tag of ``required_tags``.

    Report-only: an import cannot be undone by govbot (it never deletes images).
    """

    default_severity: ClassVar[Severity] = "high"
    report_only: ClassVar[bool] = True

    type: Literal["imported_image_trusted"]
    owners: tuple[AccountId, ...] = ()
    include_trusted: bool = True
    roles: tuple[str, ...] = ()
    required_tags: dict[str, str] = {}

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        """Verdicts on the source, the role and the tags of an imported image."""
        source = ctx.image.imported_from
        if source is None:
            return
        what = f"image {ctx.name} was imported from " + (
            f"AMI {source.source_ami_id} of account {source.ami_owner or 'unknown'}"
            if source.source_ami_id
            else f"WorkSpaces image {source.workspace_image_id}"
        )
        if source.source_ami_id:
            owner = source.ami_owner
            trusted: str | None = None
            if owner and owner == ctx.image.ref.account_id:
                trusted = "the AMI is the importing account's own"
            elif owner and owner in self.owners:
                trusted = f"listed in the owners of rule {self.id}"
            elif owner and self.include_trusted:
                trusted = ctx.trust_reason(owner)
            reason = (
                f"{what}: allowed, {trusted}"
                if trusted
                else f"{what}, an owner rule {self.id} does not trust"
            )
            yield account_verdict(ctx, self, owner, trusted is None, reason)
        if self.roles:
            role = source.role_arn or ""
            listed = any(fnmatchcase(role, glob) for glob in self.roles)
            yield account_verdict(
                ctx,
                self,
                None,
                not listed,
                f"{what} with role {role or 'none'}"
                + (": allowed" if listed else f", not one of the roles of rule {self.id}"),
            )
        missing = sorted(k for k, v in self.required_tags.items() if ctx.image.tags.get(k) != v)
        if missing:
            yield account_verdict(
                ctx,
                self,
                None,
                True,
                f"{what} without the tags rule {self.id} requires: "
                + ", ".join(f"{k}={self.required_tags[k]}" for k in missing),
            )
