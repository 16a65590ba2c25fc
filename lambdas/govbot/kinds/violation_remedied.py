"""``violation_remedied``: a forbidden share was revoked (exposure window, buttons)."""

from __future__ import annotations

from govbot.kinds.blocks import Block, esc, section
from govbot.kinds.buttons import buttons
from govbot.kinds.common import (
    BUILDER_WARNING,
    exposure_window,
    message,
    pairs_text,
    violation_pairs,
)
from govbot.kinds.spec import KindSpec, RenderedMessage, register_kind
from govbot.ledger.records.details import BuilderExposure, RemediedDetails
from govbot.ledger.records.payload import ViolationRemedied


def render(p: ViolationRemedied, outbox_id: str, days: int) -> RenderedMessage:
    """A forbidden share was revoked: exposure window, builder warning, buttons."""
    d = p.details
    window = exposure_window(d.granted_at or p.occurred_at, d.revoked_at)
    label = "Revoked" if remedied_title(d) == "Share revoked" else "To revoke"
    extra: list[Block] = [section(f"*{label}:*\n{pairs_text(p) or 'see summary'}")]
    extra.append(section(f"*Exposure window:* {esc(window) if window else 'unknown'}"))
    if any(perm == "image_builder" for _a, perm, _r in violation_pairs(p)):
        extra.append(section(BUILDER_WARNING))
    extra.extend(_exposure_sections(d.builder_exposure or []))
    extra.extend(buttons(p, outbox_id, days, remedied=True))
    what = esc(d.action or "revoked the forbidden permissions (enforce mode)")
    return message(p, outbox_id, remedied_title(d), what, extra)


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


SPEC = register_kind(
    KindSpec(
        name="violation_remedied",
        payload=ViolationRemedied,
        render=render,
        max_severity="critical",
        label="a forbidden share was revoked (or its remedy failed)",
        names_violations=True,
    )
)
