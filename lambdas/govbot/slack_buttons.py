"""The contract between the buttons a message carries and the actions endpoint.

A button's ``value`` is compact JSON naming exactly what the click asks for; the actions
endpoint decodes and validates it (Slack signs the request, but the value is still
treated as untrusted input and cross-checked against the outbox item in the ledger).
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govbot.domain import ACCOUNT_ID_PATTERN, ImageRef, PermissionKind

ACTION_GRANT = "govbot_grant_exemption"
ACTION_GRANT_RESTORE = "govbot_grant_exemption_restore"
ACTION_REAPPLY = "govbot_reapply_revocation"
ACTION_IDS: frozenset[str] = frozenset({ACTION_GRANT, ACTION_GRANT_RESTORE, ACTION_REAPPLY})

#: Upper bound on an exemption granted from a button (Slack is not the place for forever).
MAX_EXEMPTION_DAYS = 90

ActionName = Literal["grant_exemption", "reapply_revocation"]


class ButtonValueError(ValueError):
    """A button value that does not decode to a valid request."""


class ButtonValue(BaseModel):
    """What a button asks for. Short field names keep the value well under Slack's 2000."""

    model_config = ConfigDict(defer_build=True, frozen=True, populate_by_name=True)

    outbox_id: str = Field(alias="o", min_length=1, max_length=200)
    image_arn: str = Field(alias="i", min_length=1, max_length=400)
    account_id: str = Field(alias="a", pattern=ACCOUNT_ID_PATTERN.pattern)
    permission: PermissionKind = Field(alias="p")
    days: int = Field(alias="d", ge=1, le=MAX_EXEMPTION_DAYS)
    restore: bool = Field(default=False, alias="r")

    def encode(self) -> str:
        """Compact JSON (aliases) for a button's ``value``."""
        return json.dumps(self.model_dump(by_alias=True), separators=(",", ":"), sort_keys=True)


def decode_button_value(value: str) -> ButtonValue:
    """Decode and validate a button value.

    Raises
    ------
    ButtonValueError
        When the value is not JSON, misses a field, or names an invalid image/account.
    """
    try:
        data = json.loads(value)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ButtonValueError(f"button value is not JSON: {value[:80]!r}") from exc
    if not isinstance(data, dict):
        raise ButtonValueError("button value must be a JSON object")
    try:
        parsed = ButtonValue.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ButtonValueError(f"button value invalid ({problems})") from exc
    try:
        ImageRef.from_arn(parsed.image_arn)
    except ValueError as exc:
        raise ButtonValueError(f"button value field 'i' (image_arn): {exc}") from exc
    return parsed


def action_name(action_id: str) -> ActionName:
    """Map a Slack ``action_id`` to the govbot action it stands for."""
    if action_id in (ACTION_GRANT, ACTION_GRANT_RESTORE):
        return "grant_exemption"
    if action_id == ACTION_REAPPLY:
        return "reapply_revocation"
    raise ButtonValueError(f"unknown action_id {action_id!r}; expected one of {sorted(ACTION_IDS)}")
