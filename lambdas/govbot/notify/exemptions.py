"""Slack-granted exemptions: build the ledger record, convert records for the policy engine.

The enforcer passes ``to_policy_exemptions(ledger.active_exemptions(now))`` to
``policy.engine.evaluate(..., extra_exemptions=...)``.

Limitation: the policy ``Exemption`` selects images by name (and tags), so an exemption
granted for ``arn:...:image/NAME`` applies to images called NAME in any region/account the
policy governs. That errs on the side of the approver's intent for copies of one image.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from pydantic import ValidationError

from govbot.domain import ImageRef
from govbot.ledger.keys import stable_id
from govbot.ledger.records import ExemptionRecord
from govbot.policy.primitives import IDENTIFIER_PATTERN
from govbot.policy.rules import Exemption
from govbot.policy.selectors import ImageSelector

logger = logging.getLogger(__name__)
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def exemption_id_for(image_arn: str, account_id: str, permission: str) -> str:
    """Deterministic id: clicking again on the same thing extends, never duplicates."""
    return "slack-" + stable_id("slack-exemption", image_arn, account_id, permission)


def build_exemption(
    *,
    image_arn: str,
    account_id: str,
    permission: str,
    days: int,
    approver: str,
    reason: str,
    now: datetime,
) -> ExemptionRecord:
    """The ledger record for an exemption granted from Slack, expiring in ``days``."""
    return ExemptionRecord(
        exemption_id=exemption_id_for(image_arn, account_id, permission),
        image_arn=image_arn,
        account_id=account_id,
        permission=permission,
        reason=reason,
        approver=approver,
        expires_at=now + timedelta(days=days),
        granted_at=now,
        source="slack",
        status="active",
    )


def to_policy_exemption(record: ExemptionRecord) -> Exemption:
    """Convert one ledger exemption to the policy engine's model.

    Raises
    ------
    ValueError
        Naming the exemption and the field that does not fit the policy model.
    """
    if record.image_arn:
        names: tuple[str, ...] = (ImageRef.from_arn(record.image_arn).name,)
    elif record.image_selector:
        names = (record.image_selector,)
    else:  # ExemptionRecord's own validator forbids this; keep the message clear anyway
        raise ValueError(f"exemption {record.exemption_id!r}: no image_arn or image_selector")
    ex_id = record.exemption_id
    if not _IDENTIFIER.match(ex_id):
        ex_id = "slack-" + stable_id(record.exemption_id)
    permission = "any" if record.permission in ("*", "any") else record.permission
    try:
        return Exemption(
            id=ex_id,
            images=ImageSelector(names=names),
            account=record.account_id,
            permission=permission,
            reason=record.reason,
            approver=record.approver,
            expires=record.expires_at,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"exemption {record.exemption_id!r} does not convert: {problems}") from exc


def to_policy_exemptions(
    records: Iterable[ExemptionRecord],
    *,
    on_error: Callable[[ExemptionRecord, ValueError], None] | None = None,
) -> list[Exemption]:
    """Convert active ledger exemptions for ``evaluate(..., extra_exemptions=...)``.

    Records not ``active`` are left out. A record that does not convert is skipped (the
    stricter outcome: policy applies) and reported to ``on_error`` (default: a warning).
    """
    converted: list[Exemption] = []
    for record in records:
        if record.status != "active":
            continue
        try:
            converted.append(to_policy_exemption(record))
        except ValueError as exc:
            if on_error is not None:
                on_error(record, exc)
            else:
                logger.warning("skipping exemption: %s", exc)
    return converted
