"""One Block Kit renderer per message kind.

Every message names the image, region, accounts, actor, rule and what was done, and links
to the AppStream console. Each renderer takes the payload class of its kind and reads its
typed ``details`` (``govbot.ledger.records.details``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject, DividerBlock

from govbot.ledger.records.details import (
    BuilderExposure,
    CopyCompletedDetails,
    CopyFailedDetails,
    DriftEntry,
    DriftLine,
    NameTakenDetails,
    RemediedDetails,
    ViolationLine,
)
from govbot.ledger.records.payload import (
    DriftFound,
    EventRejected,
    ExemptionExpired,
    ExemptionGranted,
    ExposureWindow,
    GoldenCopyCompleted,
    GoldenCopyFailed,
    GoldenNameTaken,
    GoldenSourceDeleted,
    InboundImageUsed,
    OutboxPayload,
    PayloadEnvelope,
    StopSharingImpact,
    ViolationAudit,
    ViolationRemedied,
    ViolationReminder,
    ViolationResolved,
)
from govbot.notify.blockkit import clip, context, esc, fields, header, section, to_dicts
from govbot.notify.model import RenderedMessage
from govbot.slack_buttons import (
    ACTION_GRANT,
    ACTION_GRANT_RESTORE,
    ACTION_REAPPLY,
    ButtonValue,
)

SEVERITY_ICON = {
    "critical": ":rotating_light:",
    "high": ":red_circle:",
    "medium": ":large_orange_diamond:",
    "low": ":large_blue_circle:",
    "info": ":information_source:",
}
MAX_BUTTON_ROWS = 8  # violation pairs that get buttons (3 buttons each, 25 per actions block)

BUILDER_WARNING = (
    ":warning: *Image builder access was granted.* Revoking it does not reach builders or "
    "images the other account already made: copies produced during the exposure window "
    "may be beyond your control. Check the account for new images."
)


def console_url(region: str) -> str:
    """The AppStream console page listing images in ``region``."""
    return f"https://{region}.console.aws.amazon.com/appstream2/home?region={region}#/images"


def exposure_window(granted_at: Any, revoked_at: Any) -> str | None:
    """Human text for grant -> revoke, with its duration; None when either end is unknown."""
    if not isinstance(revoked_at, str) or not isinstance(granted_at, str):
        return None
    return ExposureWindow(granted_at=granted_at, revoked_at=revoked_at).text()


def violation_pairs(payload: OutboxPayload) -> list[tuple[str, str, str]]:
    """(account, permission, rule) triples a violation message is about (none for kinds
    that carry no violations)."""
    if not isinstance(payload, ViolationRemedied | ViolationAudit | ViolationResolved):
        return []
    lines: list[ViolationLine] = payload.details.violations
    rule = payload.rule_ids[0] if payload.rule_ids else ""
    pairs = [
        (line.account_id, line.permission, line.rule_id or rule)
        for line in lines
        if line.account_id and line.permission
    ]
    if pairs:
        return pairs
    # Items written before ``violations`` existed named the permissions beside the accounts.
    extra = payload.details.model_extra or {}
    perms = extra.get("permissions") or [extra.get("permission")]
    for account in payload.shared_account_ids:
        pairs.extend((account, str(p), rule) for p in perms if p)
    return pairs


def _common_fields(p: PayloadEnvelope) -> list[tuple[str, str]]:
    accounts = ", ".join(f"`{esc(a)}`" for a in p.shared_account_ids)
    return [
        ("Image", f"`{esc(p.image_name or p.image_arn or 'unknown')}`"),
        ("Region", esc(p.region or "unknown")),
        ("Owner account", f"`{esc(p.account_id)}`" if p.account_id else ""),
        ("Shared with", accounts),
        ("Actor", f"`{esc(p.actor_arn)}`" if p.actor_arn else "unknown"),
        ("Rule", ", ".join(f"`{esc(r)}`" for r in p.rule_ids)),
        ("Severity", esc(p.severity)),
        ("When", esc(p.occurred_at or "")),
    ]


def _footer(p: PayloadEnvelope, outbox_id: str) -> list[Block]:
    link = f"<{console_url(p.region)}|Open images in the AppStream console>" if p.region else ""
    ids = f"outbox `{esc(outbox_id)}`" + (f" · event `{esc(p.event_id)}`" if p.event_id else "")
    arn = f" · `{esc(p.image_arn)}`" if p.image_arn else ""
    blocks: list[Block] = []
    if link:
        blocks.append(section(link))
    blocks.append(context(ids + arn))
    return blocks


def _buttons(p: OutboxPayload, outbox_id: str, days: int, *, remedied: bool) -> list[Block]:
    if not p.image_arn:
        return []
    rows: list[Block] = []
    for n, (account, permission, _rule) in enumerate(violation_pairs(p)[:MAX_BUTTON_ROWS]):
        if permission not in ("fleet", "image_builder"):
            continue
        value = ButtonValue.model_validate(
            {"o": outbox_id, "i": p.image_arn, "a": account, "p": permission, "d": days}
        )
        label = f"{account} {permission}"
        elements = [
            ButtonElement(
                text=clip(f"Grant exemption ({days} days)", 75),
                action_id=ACTION_GRANT,
                value=value.encode(),
                style="primary",
            ),
        ]
        if remedied:
            restore = value.model_copy(update={"restore": True})
            elements.append(
                ButtonElement(
                    text=clip(f"Exempt {days}d and restore permission", 75),
                    action_id=ACTION_GRANT_RESTORE,
                    value=restore.encode(),
                    confirm=ConfirmObject(
                        title="Restore permission?",
                        text=clip(f"This re-shares the image with {account} ({permission}).", 300),
                    ),
                )
            )
        elements.append(
            ButtonElement(
                text="Re-apply revocation" if remedied else "Revoke now",
                action_id=ACTION_REAPPLY,
                value=value.encode(),
                style="danger",
                confirm=ConfirmObject(
                    title="Revoke access?",
                    text=clip(f"Remove {permission} access of {account} to this image.", 300),
                ),
            )
        )
        rows.append(context(f"*{esc(label)}*"))
        rows.append(ActionsBlock(elements=elements, block_id=f"govbot_actions_{n}"))
    return rows


def _message(
    p: OutboxPayload, outbox_id: str, title: str, what: str, extra: list[Block] | None = None
) -> RenderedMessage:
    icon = SEVERITY_ICON.get(p.severity.lower(), ":bell:")
    summary = esc(p.summary) if p.summary else ""
    subject = p.image_name or p.image_arn
    blocks: list[Block] = [header(f"{title}: {subject}" if subject else title)]
    blocks.append(section(f"{icon} {summary}\n*What govbot did:* {what}".strip()))
    blocks.extend(fields(_common_fields(p)))
    blocks.extend(extra or [])
    blocks.append(DividerBlock())
    blocks.extend(_footer(p, outbox_id))
    headline = f"{title}: {subject}" if subject else title
    text = clip(f"[{p.severity}] {headline} — {p.summary}", 4000)
    return RenderedMessage(
        text=text, blocks=to_dicts(blocks), kind=p.message_kind, outbox_id=outbox_id
    )


def _pairs_text(p: OutboxPayload) -> str:
    pairs = violation_pairs(p)
    return "\n".join(f"• `{esc(a)}` {esc(perm)} (rule `{esc(r)}`)" for a, perm, r in pairs[:20])


def render_violation_remedied(p: ViolationRemedied, outbox_id: str, days: int) -> RenderedMessage:
    """A forbidden share was revoked: exposure window, builder warning, buttons."""
    d = p.details
    window = exposure_window(d.granted_at or p.occurred_at, d.revoked_at)
    label = "Revoked" if remedied_title(d) == "Share revoked" else "To revoke"
    extra: list[Block] = [section(f"*{label}:*\n{_pairs_text(p) or 'see summary'}")]
    extra.append(section(f"*Exposure window:* {esc(window) if window else 'unknown'}"))
    if any(perm == "image_builder" for _a, perm, _r in violation_pairs(p)):
        extra.append(section(BUILDER_WARNING))
    extra.extend(_exposure_sections(d.builder_exposure or []))
    extra.extend(_buttons(p, outbox_id, days, remedied=True))
    what = esc(d.action or "revoked the forbidden permissions (enforce mode)")
    return _message(p, outbox_id, remedied_title(d), what, extra)


def remedied_title(d: RemediedDetails) -> str:
    """ "Share revoked" only when every change succeeded; a remedy that failed (or was
    abandoned on its last attempt) says so, since the forbidden access may still be there."""
    failed = [c for c in d.changes if c.status != "succeeded"]
    if d.error is not None or (d.changes and len(failed) == len(d.changes)):
        return "Remedy failed"
    if failed:
        return "Remedy partly failed"
    return "Share revoked"


def _exposure_sections(exposures: list[BuilderExposure]) -> list[Block]:
    """Per account: how long it could build, and (governed) the builders it made."""
    blocks: list[Block] = []
    for exposure in exposures:
        text = f"*Builder exposure:* {esc(exposure.text)}"
        if exposure.builders is not None:
            listed = ", ".join(
                f"`{esc(b.name)}` ({esc(b.state)}, created {esc(b.created)})"
                for b in exposure.builders[:30]
            )
            text += f"\n*Image builders it created from this image meanwhile:* {listed or 'none'}"
        blocks.append(section(text))
    return blocks


def render_violation_audit(p: ViolationAudit, outbox_id: str, days: int) -> RenderedMessage:
    """A forbidden share seen in audit mode: nothing changed, buttons offered."""
    extra: list[Block] = [section(f"*Violations:*\n{_pairs_text(p) or 'see summary'}")]
    if any(perm == "image_builder" for _a, perm, _r in violation_pairs(p)):
        extra.append(section(BUILDER_WARNING))
    extra.extend(_buttons(p, outbox_id, days, remedied=False))
    return _message(p, outbox_id, "Policy violation (audit)", "nothing (audit mode)", extra)


def render_violation_resolved(p: ViolationResolved, outbox_id: str, days: int) -> RenderedMessage:
    """Violations announced earlier are gone (fixed by someone, or the image was deleted)."""
    extra: list[Block] = [section(f"*No longer standing:*\n{_pairs_text(p) or 'see summary'}")]
    what = esc(p.details.cause or "recorded the resolution")
    return _message(p, outbox_id, "Violation resolved", what, extra)


def _drift_lines(entries: list[DriftEntry]) -> str:
    lines = []
    for item in entries[:20]:
        if isinstance(item, DriftLine):
            lines.append(
                f"• `{esc(item.account_id)}`: expected "
                f"{esc(item.expected)}, found {esc(item.actual)}"
            )
        else:
            lines.append(f"• {esc(item)}")
    return "\n".join(lines) or "see summary"


def render_violation_reminder(p: ViolationReminder, outbox_id: str, days: int) -> RenderedMessage:
    """The periodic digest of violations announced before and still standing."""
    what = esc(p.details.action or "nothing (still standing)")
    standing = section("*Standing:*\n" + _drift_lines(p.details.drift))
    return _message(p, outbox_id, "Still standing", what, [standing])


def render_inbound_image_used(p: InboundImageUsed, outbox_id: str, days: int) -> RenderedMessage:
    """A governed fleet or builder runs an image owned by an untrusted account."""
    d = p.details
    listed = "\n".join(
        f"• {esc(u.kind.replace('_', ' '))} `{esc(u.name)}` in account "
        f"`{esc(u.account_id)}` ({esc(u.state)})"
        for u in d.uses[:30]
    )
    reasons = "\n".join(f"• {esc(v.reason)}" for v in d.violations)
    owner = esc(d.owner_account_id or p.account_id or "unknown")
    extra: list[Block] = [
        section(f"*Runs it:*\n{listed or 'see summary'}"),
        section(f"*Image:* `{esc(p.image_arn or p.image_name)}`\n*Owned by:* `{owner}`"),
    ]
    if reasons:
        extra.append(section(f"*Why:*\n{reasons}"))
    what = esc(d.action or "reported only")
    return _message(p, outbox_id, "Image from an untrusted owner in use", what, extra)


def render_stop_sharing_impact(p: StopSharingImpact, outbox_id: str, days: int) -> RenderedMessage:
    """Fleet access removed: that account's fleets on the image drop to capacity 0."""
    names = ", ".join(f"`{esc(f)}`" for f in (p.details.fleets or [])[:30]) or (
        "none" if p.details.consumer_governed else "unknown (not visible from here)"
    )
    impact = p.details.fleet_impact
    text = (
        f":warning: {esc(impact)}"
        if impact
        else (
            ":warning: Fleet permission was removed. Fleets of the account(s) above that use "
            "this image have their desired capacity set to *0*; existing sessions run to "
            "their end."
        )
    ) + f"\n*Fleets at desired capacity 0:* {names}"
    what = esc(p.details.action or "stopped sharing fleet access")
    return _message(p, outbox_id, "Fleet access removed", what, [section(text)])


def _copy_fields(
    d: CopyCompletedDetails | CopyFailedDetails | NameTakenDetails, error: str | None = None
) -> list[Block]:
    attempts = getattr(d, "attempts", None)
    return fields(
        [
            ("Destination region", esc(d.destination_region or "")),
            (
                "Destination image",
                f"`{esc(d.destination_image_name)}`" if d.destination_image_name else "",
            ),
            ("Attempts", esc(attempts or "")),
            ("Error", esc(error or "")),
        ]
    )


def render_golden_copy_completed(
    p: GoldenCopyCompleted, outbox_id: str, days: int
) -> RenderedMessage:
    """A golden image copy reached AVAILABLE in its destination region."""
    return _message(
        p, outbox_id, "Golden copy completed", "copied the golden image", _copy_fields(p.details)
    )


def render_golden_copy_failed(p: GoldenCopyFailed, outbox_id: str, days: int) -> RenderedMessage:
    """A golden image copy failed."""
    what = esc(p.details.action or "the copy failed; it will be retried by the replicator")
    return _message(
        p, outbox_id, "Golden copy FAILED", what, _copy_fields(p.details, p.details.error)
    )


def render_golden_source_deleted(
    p: GoldenSourceDeleted, outbox_id: str, days: int
) -> RenderedMessage:
    """The source of golden copies was deleted."""
    listed = "\n".join(f"• `{esc(c)}`" for c in p.details.copies[:20]) or "none recorded"
    return _message(
        p,
        outbox_id,
        "Golden source deleted",
        "recorded; copies left in place",
        [section(f"*Copies still present:*\n{listed}")],
    )


def render_golden_name_taken(p: GoldenNameTaken, outbox_id: str, days: int) -> RenderedMessage:
    """An image govbot did not make holds a golden copy's name: reported, not copied."""
    d = p.details
    extra = _copy_fields(d) + fields(
        [
            ("Held by", f"`{esc(d.taken_by_image_arn)}`" if d.taken_by_image_arn else ""),
            ("Made by", f"`{esc(d.made_by)}`" if d.made_by else "unknown"),
        ]
    )
    what = esc(d.action or "reported; nothing copied or renamed")
    return _message(p, outbox_id, "Golden name taken", what, extra)


def render_drift_found(p: DriftFound, outbox_id: str, days: int) -> RenderedMessage:
    """A sweep found drift: shares differing from the policy (drift sweep), or a golden
    copy's tags/shares differing from its source (replicator sweep, restored)."""
    what = esc(p.details.action or "reported the drift")
    drift = section("*Drift:*\n" + _drift_lines(p.details.drift))
    return _message(p, outbox_id, "Drift found", what, [drift])


def _exemption_fields(p: ExemptionGranted | ExemptionExpired) -> list[Block]:
    d = p.details
    return fields(
        [
            ("Exemption", f"`{esc(d.exemption_id or '?')}`"),
            ("Permission", esc(d.permission or "")),
            ("Approver", f"<@{esc(d.approver)}>" if d.approver else ""),
            ("Expires", esc(d.expires or "")),
            ("Reason", esc(d.reason or "")),
        ]
    )


def render_exemption_granted(p: ExemptionGranted, outbox_id: str, days: int) -> RenderedMessage:
    """An approver granted an exemption from Slack."""
    return _message(
        p, outbox_id, "Exemption granted", "recorded the exemption", _exemption_fields(p)
    )


def render_exemption_expired(p: ExemptionExpired, outbox_id: str, days: int) -> RenderedMessage:
    """An exemption expired: the policy applies again."""
    return _message(
        p, outbox_id, "Exemption expired", "policy applies again from now", _exemption_fields(p)
    )


def render_event_rejected(p: EventRejected, outbox_id: str, days: int) -> RenderedMessage:
    """An incoming event was rejected (malformed, or outside the governed accounts/regions).

    Names the event (name, source, account, region) and lists every problem of the reason.
    """
    d = p.details
    name = d.event_name
    extra = fields(
        [
            ("Event", f"`{esc(name)}`" if name else "unknown"),
            ("Source", esc(d.event_source or "unknown")),
            # Where the rejection is recorded (never under the eventID the input claims).
            ("Ledger record", f"`{esc(d.ledger_id)}`" if d.ledger_id else "unknown"),
        ]
    )
    reason = d.reason or p.summary or "unknown"
    problems = "\n".join(f"• {esc(part)}" for part in reason.split("; ") if part)
    extra.append(section(f"*Problems:*\n{problems}"))
    title = f"Event rejected: {name}" if name else "Event rejected"
    return _message(p, outbox_id, title, "recorded it as rejected; nothing was changed", extra)


# Each renderer takes the payload class of its kind; parse_payload guarantees the match.
Renderer = Callable[[Any, str, int], RenderedMessage]
RENDERERS: dict[str, Renderer] = {
    "violation_remedied": render_violation_remedied,
    "violation_audit": render_violation_audit,
    "violation_resolved": render_violation_resolved,
    "violation_reminder": render_violation_reminder,
    "inbound_image_used": render_inbound_image_used,
    "stop_sharing_impact": render_stop_sharing_impact,
    "golden_copy_completed": render_golden_copy_completed,
    "golden_copy_failed": render_golden_copy_failed,
    "golden_source_deleted": render_golden_source_deleted,
    "golden_name_taken": render_golden_name_taken,
    "drift_found": render_drift_found,
    "exemption_granted": render_exemption_granted,
    "exemption_expired": render_exemption_expired,
    "event_rejected": render_event_rejected,
}


def render(payload: OutboxPayload, outbox_id: str, *, exemption_days: int = 7) -> RenderedMessage:
    """Render an outbox payload with the renderer of its kind."""
    return RENDERERS[payload.message_kind](payload, outbox_id, exemption_days)
