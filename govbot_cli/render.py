"""Pure text/JSON rendering of policy evaluations for the CLI (no I/O)."""

from __future__ import annotations

from typing import Any

from govbot.domain import Permissions, SharedAccountPermission
from govbot.policy import Evaluation, PermissionChange, Verdict


def permissions_text(permissions: Permissions) -> str:
    """``fleet,builder`` / ``fleet`` / ``builder`` / ``none``."""
    kinds = [
        name
        for name, on in (
            ("fleet", permissions.allow_fleet),
            ("builder", permissions.allow_image_builder),
        )
        if on
    ]
    return ",".join(kinds) or "none"


def verdict_line(verdict: Verdict) -> str:
    """One verdict: outcome, rule, account, permission, mode, reason."""
    flags = " report-only" if verdict.report_only else ""
    return (
        f"{verdict.outcome.upper():<9} {verdict.rule_id}  "
        f"account={verdict.account_id or '-'} permission={verdict.permission or '-'} "
        f"mode={verdict.mode}{flags} severity={verdict.severity}: {verdict.reason}"
    )


def change_line(change: PermissionChange) -> str:
    """What enforce mode would do to one account's share, and why."""
    revoked = ",".join(sorted(change.revoked))
    if change.deletes_share:
        action = "DeleteImagePermissions (stop sharing)"
    else:
        action = f"UpdateImagePermissions to {permissions_text(change.after)}"
    # Domain facts worth saying at the point of decision: revoking fleet is disruptive;
    # revoking builder does not reach builders or images the account already made.
    notes = []
    if "fleet" in change.revoked:
        notes.append("its fleets on this image drop to 0 capacity")
    if "image_builder" in change.revoked:
        notes.append("builders and images it already made are not affected")
    note = f" ({'; '.join(notes)})" if notes else ""
    return (
        f"account {change.account_id}: {permissions_text(change.before)} -> "
        f"{permissions_text(change.after)}: {action}, revokes {revoked}{note}; "
        f"rules {', '.join(change.rule_ids)}"
    )


def evaluation_lines(evaluation: Evaluation) -> list[str]:
    """Every verdict, then the minimal changes enforce mode would make, then a summary."""
    lines = [f"image {evaluation.image_name} ({evaluation.image_arn})"]
    shares = ", ".join(
        f"{s.account_id}:{permissions_text(s.permissions)}" for s in evaluation.shared_with
    )
    lines.append(f"  shared with: {shares or 'nobody'}")
    if not evaluation.verdicts:
        lines.append("  verdicts: none (no rule selects this image, or it is not shared)")
    else:
        lines.append("  verdicts:")
        lines += [f"    {verdict_line(v)}" for v in evaluation.verdicts]
    changes = evaluation.enforced_changes()
    would = evaluation.changes_if_enforced()
    if would:
        lines.append("  changes enforce mode would make:")
        lines += [f"    {change_line(c)}" for c in would]
    else:
        lines.append("  changes enforce mode would make: none")
    if would != changes:  # audit-mode rules: govbot itself changes only the enforced part
        made = "; ".join(change_line(c) for c in changes) or "none (audit mode)"
        lines.append(f"  changes govbot makes as the policy stands: {made}")
    audit = evaluation.audit_violations()
    if audit:
        lines.append(f"  reported only (audit mode or report-only rules): {len(audit)}")
    lines.append(
        f"  result: {len(evaluation.violations())} violation(s), "
        f"{len(evaluation.exempted())} exempted, {len(changes)} change(s)"
    )
    return lines


def _share_json(share: SharedAccountPermission) -> dict[str, Any]:
    return {
        "account_id": share.account_id,
        "allow_fleet": share.permissions.allow_fleet,
        "allow_image_builder": share.permissions.allow_image_builder,
    }


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    """A JSON-ready view: verdicts, enforce-mode changes and counts."""
    changes = evaluation.enforced_changes()
    return {
        "image_arn": evaluation.image_arn,
        "image_name": evaluation.image_name,
        "shared_with": [_share_json(s) for s in evaluation.shared_with],
        "verdicts": [v.model_dump(mode="json") for v in evaluation.verdicts],
        "changes": [
            {
                "account_id": c.account_id,
                "before": c.before.model_dump(mode="json"),
                "after": c.after.model_dump(mode="json"),
                "revoked": sorted(c.revoked),
                "operation": (
                    "DeleteImagePermissions" if c.deletes_share else "UpdateImagePermissions"
                ),
                "rule_ids": list(c.rule_ids),
                "reasons": list(c.reasons),
            }
            for c in changes
        ],
        "enforce_would": [
            {"account_id": c.account_id, "revoked": sorted(c.revoked), "rule_ids": list(c.rule_ids)}
            for c in evaluation.changes_if_enforced()
        ],
        "violations": len(evaluation.violations()),
        "exempted": len(evaluation.exempted()),
    }
