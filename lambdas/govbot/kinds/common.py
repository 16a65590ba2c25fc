"""What every message kind's renderer shares: the frame of a message (title, what govbot
did, the common fields, the console link and ids) and the lines several kinds list.

Every message names the image, region, accounts, actor, rule and what was done, and links
to the AppStream console.
"""

from __future__ import annotations

from typing import Any

from govbot.kinds.blocks import Block, clip, context, divider, esc, fields, header, section
from govbot.kinds.spec import RenderedMessage, kind_spec
from govbot.ledger.records.details import (
    CopyCompletedDetails,
    CopyFailedDetails,
    DriftEntry,
    DriftLine,
    ExemptionDetails,
    NameTakenDetails,
    ViolationLine,
)
from govbot.ledger.records.payload import ExposureWindow, PayloadEnvelope

SEVERITY_ICON = {
    "critical": ":rotating_light:",
    "high": ":red_circle:",
    "medium": ":large_orange_diamond:",
    "low": ":large_blue_circle:",
    "info": ":information_source:",
}
MAX_FALLBACK = 4000  # the top-level text (Slack truncates at 40k; keep it short)

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


def violation_pairs(payload: PayloadEnvelope) -> list[tuple[str, str, str]]:
    """(account, permission, rule) triples a violation message is about (none for kinds
    whose spec does not declare ``names_violations``)."""
    spec = kind_spec(payload.message_kind)
    details = getattr(payload, "details", None)
    if spec is None or not spec.names_violations or details is None:
        return []
    lines: list[ViolationLine] = details.violations
    rule = payload.rule_ids[0] if payload.rule_ids else ""
    pairs = [
        (line.account_id, line.permission, line.rule_id or rule)
        for line in lines
        if line.account_id and line.permission
    ]
    if pairs:
        return pairs
    # Items written before ``violations`` existed named the permissions beside the accounts.
    extra = details.model_extra or {}
    perms = extra.get("permissions") or [extra.get("permission")]
    for account in payload.shared_account_ids:
        pairs.extend((account, str(p), rule) for p in perms if p)
    return pairs


def pairs_text(p: PayloadEnvelope) -> str:
    """The violation pairs as bullet lines (at most 20)."""
    pairs = violation_pairs(p)
    return "\n".join(f"• `{esc(a)}` {esc(perm)} (rule `{esc(r)}`)" for a, perm, r in pairs[:20])


def drift_lines(entries: list[DriftEntry]) -> str:
    """Drift entries as bullet lines (at most 20)."""
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


def copy_fields(
    d: CopyCompletedDetails | CopyFailedDetails | NameTakenDetails, error: str | None = None
) -> list[Block]:
    """Where a golden copy went, its attempts and its error."""
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


def exemption_fields(d: ExemptionDetails) -> list[Block]:
    """An exemption's id, permission, approver, expiry and reason."""
    return fields(
        [
            ("Exemption", f"`{esc(d.exemption_id or '?')}`"),
            ("Permission", esc(d.permission or "")),
            ("Approver", f"<@{esc(d.approver)}>" if d.approver else ""),
            ("Expires", esc(d.expires or "")),
            ("Reason", esc(d.reason or "")),
        ]
    )


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


def message(
    p: PayloadEnvelope, outbox_id: str, title: str, what: str, extra: list[Block] | None = None
) -> RenderedMessage:
    """The frame every kind's message has: header, summary with what govbot did, the
    common fields, the kind's own ``extra`` blocks, a divider, console link and ids."""
    icon = SEVERITY_ICON.get(p.severity.lower(), ":bell:")
    summary = esc(p.summary) if p.summary else ""
    subject = p.image_name or p.image_arn
    blocks: list[Block] = [header(f"{title}: {subject}" if subject else title)]
    blocks.append(section(f"{icon} {summary}\n*What govbot did:* {what}".strip()))
    blocks.extend(fields(_common_fields(p)))
    blocks.extend(extra or [])
    blocks.append(divider())
    blocks.extend(_footer(p, outbox_id))
    headline = f"{title}: {subject}" if subject else title
    text = clip(f"[{p.severity}] {headline} — {p.summary}", MAX_FALLBACK)
    return RenderedMessage(text=text, blocks=blocks, kind=p.message_kind, outbox_id=outbox_id)
