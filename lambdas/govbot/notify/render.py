"""One Block Kit renderer per message kind.

Every message names the image, region, accounts, actor, rule and what was done, and links
to the AppStream console. Kind-specific ``details`` keys read here (all optional):

- violations (both kinds): ``violations`` = [{account_id, permission, rule_id}], else
  ``shared_account_ids`` x ``permissions`` (or ``permission``)
- violation_resolved: ``violations``, ``cause``; violation_reminder: ``drift`` (as drift_found)
- violation_remedied: ``granted_at``, ``revoked_at`` (ISO-8601), ``action``
- stop_sharing_impact: ``fleets`` (names), ``permission``
- inbound_image_used: ``uses`` [{kind, name, arn, account_id, state}], ``owner_account_id``,
  ``violations`` [{rule_id, account_id, permission, reason}], ``action``
- golden_copy_*: ``destination_region``, ``destination_image_name``, ``error``, ``attempts``
- golden_source_deleted: ``copies`` (ARNs or names)
- golden_name_taken: ``destination_*``, ``taken_by_image_arn``, ``made_by``
- drift_found: ``drift`` (list of strings or {account_id, expected, actual})
- exemption_*: ``exemption_id``, ``approver``, ``expires``, ``reason``, ``permission``
- event_rejected: ``reason`` (problems joined by "; "), ``event_name``, ``event_source``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject, DividerBlock

from govbot.ledger.records.payload import ExposureWindow, OutboxPayload
from govbot.notify.blockkit import clip, context, esc, fields, header, section, to_dicts
from govbot.notify.model import RenderedMessage
from govbot.slack_actions.buttons import (
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
    """(account, permission, rule) triples a violation message is about."""
    raw = payload.details.get("violations")
    pairs: list[tuple[str, str, str]] = []
    rule = payload.rule_ids[0] if payload.rule_ids else ""
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and item.get("account_id") and item.get("permission"):
                pairs.append(
                    (
                        str(item["account_id"]),
                        str(item["permission"]),
                        str(item.get("rule_id") or rule),
                    )
                )
    if pairs:
        return pairs
    perms = payload.details.get("permissions") or [payload.details.get("permission")]
    for account in payload.shared_account_ids:
        pairs.extend((account, str(p), rule) for p in perms if p)
    return pairs


def _common_fields(p: OutboxPayload) -> list[tuple[str, str]]:
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


def _footer(p: OutboxPayload, outbox_id: str) -> list[Block]:
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


def render_violation_remedied(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """A forbidden share was revoked: exposure window, builder warning, buttons."""
    d = p.details
    window = exposure_window(d.get("granted_at") or p.occurred_at, d.get("revoked_at"))
    extra: list[Block] = [section(f"*Revoked:*\n{_pairs_text(p) or 'see summary'}")]
    extra.append(section(f"*Exposure window:* {esc(window) if window else 'unknown'}"))
    if any(perm == "image_builder" for _a, perm, _r in violation_pairs(p)):
        extra.append(section(BUILDER_WARNING))
    extra.extend(_exposure_sections(d.get("builder_exposure")))
    extra.extend(_buttons(p, outbox_id, days, remedied=True))
    what = esc(d.get("action") or "revoked the forbidden permissions (enforce mode)")
    return _message(p, outbox_id, "Share revoked", what, extra)


def _exposure_sections(exposures: Any) -> list[Block]:
    """Per account: how long it could build, and (governed) the builders it made."""
    blocks: list[Block] = []
    for exposure in exposures if isinstance(exposures, list) else []:
        if not isinstance(exposure, dict):
            continue
        text = f"*Builder exposure:* {esc(exposure.get('text') or '')}"
        builders = exposure.get("builders")
        if isinstance(builders, list):
            listed = ", ".join(
                f"`{esc(b.get('name'))}` ({esc(b.get('state'))}, created {esc(b.get('created'))})"
                for b in builders[:30]
                if isinstance(b, dict)
            )
            text += f"\n*Image builders it created from this image meanwhile:* {listed or 'none'}"
        blocks.append(section(text))
    return blocks


def render_violation_audit(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """A forbidden share seen in audit mode: nothing changed, buttons offered."""
    extra: list[Block] = [section(f"*Violations:*\n{_pairs_text(p) or 'see summary'}")]
    if any(perm == "image_builder" for _a, perm, _r in violation_pairs(p)):
        extra.append(section(BUILDER_WARNING))
    extra.extend(_buttons(p, outbox_id, days, remedied=False))
    return _message(p, outbox_id, "Policy violation (audit)", "nothing (audit mode)", extra)


def render_violation_resolved(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """Violations announced earlier are gone (fixed by someone, or the image was deleted)."""
    extra: list[Block] = [section(f"*No longer standing:*\n{_pairs_text(p) or 'see summary'}")]
    what = esc(p.details.get("cause") or "recorded the resolution")
    return _message(p, outbox_id, "Violation resolved", what, extra)


def _drift_lines(p: OutboxPayload) -> str:
    lines = []
    for item in (p.details.get("drift") or [])[:20]:
        if isinstance(item, dict):
            lines.append(
                f"• `{esc(item.get('account_id', '?'))}`: expected "
                f"{esc(item.get('expected', '?'))}, found {esc(item.get('actual', '?'))}"
            )
        else:
            lines.append(f"• {esc(item)}")
    return "\n".join(lines) or "see summary"


def render_violation_reminder(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """The periodic digest of violations announced before and still standing."""
    what = esc(p.details.get("action") or "nothing (still standing)")
    return _message(
        p, outbox_id, "Still standing", what, [section("*Standing:*\n" + _drift_lines(p))]
    )


def render_inbound_image_used(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """A governed fleet or builder runs an image owned by an untrusted account."""
    d = p.details
    uses = [u for u in d.get("uses") or [] if isinstance(u, dict)]
    listed = "\n".join(
        f"• {esc(str(u.get('kind', '')).replace('_', ' '))} `{esc(u.get('name'))}` in account "
        f"`{esc(u.get('account_id'))}` ({esc(u.get('state'))})"
        for u in uses[:30]
    )
    reasons = "\n".join(
        f"• {esc(v.get('reason'))}" for v in d.get("violations") or [] if isinstance(v, dict)
    )
    owner = esc(d.get("owner_account_id") or p.account_id or "unknown")
    extra: list[Block] = [
        section(f"*Runs it:*\n{listed or 'see summary'}"),
        section(f"*Image:* `{esc(p.image_arn or p.image_name)}`\n*Owned by:* `{owner}`"),
    ]
    if reasons:
        extra.append(section(f"*Why:*\n{reasons}"))
    what = esc(d.get("action") or "reported only")
    return _message(p, outbox_id, "Image from an untrusted owner in use", what, extra)


def render_stop_sharing_impact(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """Fleet access removed: that account's fleets on the image drop to capacity 0."""
    fleets = p.details.get("fleets") or []
    names = ", ".join(f"`{esc(f)}`" for f in fleets[:30]) or (
        "none" if p.details.get("consumer_governed") else "unknown (not visible from here)"
    )
    impact = p.details.get("fleet_impact")
    text = (
        f":warning: {esc(impact)}"
        if isinstance(impact, str) and impact
        else (
            ":warning: Fleet permission was removed. Fleets of the account(s) above that use "
            "this image have their desired capacity set to *0*; existing sessions run to "
            "their end."
        )
    ) + f"\n*Fleets at desired capacity 0:* {names}"
    what = esc(p.details.get("action") or "stopped sharing fleet access")
    return _message(p, outbox_id, "Fleet access removed", what, [section(text)])


def _copy_fields(p: OutboxPayload) -> list[Block]:
    d = p.details
    return fields(
        [
            ("Destination region", esc(d.get("destination_region") or "")),
            (
                "Destination image",
                f"`{esc(d['destination_image_name'])}`" if d.get("destination_image_name") else "",
            ),
            ("Attempts", esc(d.get("attempts") or "")),
            ("Error", esc(d.get("error") or "")),
        ]
    )


def render_golden_copy_completed(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """A golden image copy reached AVAILABLE in its destination region."""
    return _message(
        p, outbox_id, "Golden copy completed", "copied the golden image", _copy_fields(p)
    )


def render_golden_copy_failed(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """A golden image copy failed."""
    what = esc(p.details.get("action") or "the copy failed; it will be retried by the replicator")
    return _message(p, outbox_id, "Golden copy FAILED", what, _copy_fields(p))


def render_golden_source_deleted(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """The source of golden copies was deleted."""
    copies = p.details.get("copies") or []
    listed = "\n".join(f"• `{esc(c)}`" for c in copies[:20]) or "none recorded"
    return _message(
        p,
        outbox_id,
        "Golden source deleted",
        "recorded; copies left in place",
        [section(f"*Copies still present:*\n{listed}")],
    )


def render_golden_name_taken(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """An image govbot did not make holds a golden copy's name: reported, not copied."""
    d = p.details
    extra = _copy_fields(p) + fields(
        [
            ("Held by", f"`{esc(d['taken_by_image_arn'])}`" if d.get("taken_by_image_arn") else ""),
            ("Made by", f"`{esc(d['made_by'])}`" if d.get("made_by") else "unknown"),
        ]
    )
    what = esc(d.get("action") or "reported; nothing copied or renamed")
    return _message(p, outbox_id, "Golden name taken", what, extra)


def render_drift_found(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """A sweep found drift: shares differing from the policy (drift sweep), or a golden
    copy's tags/shares differing from its source (replicator sweep, restored)."""
    what = esc(p.details.get("action") or "reported the drift")
    return _message(p, outbox_id, "Drift found", what, [section("*Drift:*\n" + _drift_lines(p))])


def _exemption_fields(p: OutboxPayload) -> list[Block]:
    d = p.details
    return fields(
        [
            ("Exemption", f"`{esc(d.get('exemption_id') or '?')}`"),
            ("Permission", esc(d.get("permission") or "")),
            ("Approver", f"<@{esc(d['approver'])}>" if d.get("approver") else ""),
            ("Expires", esc(d.get("expires") or "")),
            ("Reason", esc(d.get("reason") or "")),
        ]
    )


def render_exemption_granted(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """An approver granted an exemption from Slack."""
    return _message(
        p, outbox_id, "Exemption granted", "recorded the exemption", _exemption_fields(p)
    )


def render_exemption_expired(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """An exemption expired: the policy applies again."""
    return _message(
        p, outbox_id, "Exemption expired", "policy applies again from now", _exemption_fields(p)
    )


def render_event_rejected(p: OutboxPayload, outbox_id: str, days: int) -> RenderedMessage:
    """An incoming event was rejected (malformed, or outside the governed accounts/regions).

    Names the event (name, source, account, region) and lists every problem of the reason.
    """
    d = p.details
    name = d.get("event_name")
    extra = fields(
        [
            ("Event", f"`{esc(name)}`" if name else "unknown"),
            ("Source", esc(d.get("event_source") or "unknown")),
        ]
    )
    reason = str(d.get("reason") or p.summary or "unknown")
    problems = "\n".join(f"• {esc(part)}" for part in reason.split("; ") if part)
    extra.append(section(f"*Problems:*\n{problems}"))
    title = f"Event rejected: {name}" if name else "Event rejected"
    return _message(p, outbox_id, title, "recorded it as rejected; nothing was changed", extra)


Renderer = Callable[[OutboxPayload, str, int], RenderedMessage]
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
