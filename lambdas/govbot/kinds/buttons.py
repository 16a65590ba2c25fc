"""The exemption and revoke buttons a violation message offers, one row per
(account, permission) pair; their values follow ``govbot.slack_buttons``."""

from __future__ import annotations

from govbot.kinds.blocks import Block, actions, button, clip, confirm, context, esc
from govbot.kinds.common import violation_pairs
from govbot.ledger.records.payload import PayloadEnvelope
from govbot.slack_buttons import ACTION_GRANT, ACTION_GRANT_RESTORE, ACTION_REAPPLY, ButtonValue

MAX_BUTTON_ROWS = 8  # violation pairs that get buttons (3 buttons each, 25 per actions block)


def buttons(p: PayloadEnvelope, outbox_id: str, days: int, *, remedied: bool) -> list[Block]:
    """Grant (and, once remedied, grant-and-restore) plus revoke/re-apply, per pair."""
    if not p.image_arn:
        return []
    rows: list[Block] = []
    for n, (account, permission, _rule) in enumerate(violation_pairs(p)[:MAX_BUTTON_ROWS]):
        if permission not in ("fleet", "image_builder"):
            continue
        value = ButtonValue.model_validate(
            {"o": outbox_id, "i": p.image_arn, "a": account, "p": permission, "d": days}
        )
        elements = [
            button(
                clip(f"Grant exemption ({days} days)", 75),
                action_id=ACTION_GRANT,
                value=value.encode(),
                style="primary",
            )
        ]
        if remedied:
            restore = value.model_copy(update={"restore": True})
            elements.append(
                button(
                    clip(f"Exempt {days}d and restore permission", 75),
                    action_id=ACTION_GRANT_RESTORE,
                    value=restore.encode(),
                    confirm_with=confirm(
                        "Restore permission?",
                        clip(f"This re-shares the image with {account} ({permission}).", 300),
                    ),
                )
            )
        elements.append(
            button(
                "Re-apply revocation" if remedied else "Revoke now",
                action_id=ACTION_REAPPLY,
                value=value.encode(),
                style="danger",
                confirm_with=confirm(
                    "Revoke access?",
                    clip(f"Remove {permission} access of {account} to this image.", 300),
                ),
            )
        )
        rows.append(context(f"*{esc(f'{account} {permission}')}*"))
        rows.append(actions(elements, block_id=f"govbot_actions_{n}"))
    return rows
