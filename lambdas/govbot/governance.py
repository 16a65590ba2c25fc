"""Governance inputs, built in one place: the ``Judge`` every entry point evaluates with.

The enforcer, the drift sweep, the replicator and ``govbot check`` get their engine inputs
from ``build_judge``: the policy, the AWS Organization's member accounts (when the policy
trusts them), the exemptions granted from Slack (active ledger records converted to the
policy's ``Exemption``), and the clock.

Limitation: the policy ``Exemption`` selects images by name (and tags), so an exemption
granted for ``arn:...:image/NAME`` applies to images called NAME in any region/account the
policy governs. That errs on the side of the approver's intent for copies of one image.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

from pydantic import ValidationError

from govbot.clock import Clock, utcnow
from govbot.domain import ImageRef
from govbot.ledger.keys import stable_id
from govbot.ledger.records import ExemptionRecord
from govbot.policy.exemptions import Exemption
from govbot.policy.judge import Judge
from govbot.policy.models import Policy
from govbot.policy.primitives import IDENTIFIER_PATTERN
from govbot.policy.selectors import ImageSelector

logger = logging.getLogger(__name__)
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


class ExemptionStore(Protocol):
    """Where Slack-granted exemptions are kept (the ledger)."""

    def active_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]: ...


def build_judge(
    policy: Callable[[], Policy],
    *,
    exemption_store: ExemptionStore | None = None,
    org_accounts: Callable[[], frozenset[str]] | None = None,
    clock: Clock = utcnow,
) -> Judge:
    """The judge of every entry point: ``policy``, plus the ledger's active exemptions
    (when a store is given) and the Organization's members (when a source is given)."""
    if exemption_store is None:
        return Judge(policy, org_accounts=org_accounts or frozenset, clock=clock)
    return Judge(
        policy,
        org_accounts=org_accounts or frozenset,
        exemptions=ledger_exemptions(exemption_store),
        clock=clock,
    )


def ledger_exemptions(store: ExemptionStore) -> Callable[[datetime], list[Exemption]]:
    """Active exemptions granted from Slack, as policy Exemptions."""

    def active(now: datetime) -> list[Exemption]:
        return to_policy_exemptions(store.active_exemptions(now))

    return active


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
