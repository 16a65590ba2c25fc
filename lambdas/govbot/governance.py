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
import threading
import time
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
    exemptions_max_age: float = 0,
) -> Judge:
    """The judge of every entry point: ``policy``, plus the ledger's active exemptions
    (when a store is given) and the Organization's members (when a source is given).

    ``exemptions_max_age`` > 0 reads the exemptions at most once per that many seconds
    (a warm function's cache; ``Judge.refresh()`` forgets it).
    """
    if exemption_store is None:
        return Judge(policy, org_accounts=org_accounts or frozenset, clock=clock)
    if exemptions_max_age > 0:
        cached = CachedExemptions(exemption_store, max_age=exemptions_max_age)
        return Judge(
            policy,
            org_accounts=org_accounts or frozenset,
            exemptions=cached,
            clock=clock,
            refresh=cached.invalidate,
        )
    return Judge(
        policy,
        org_accounts=org_accounts or frozenset,
        exemptions=ledger_exemptions(exemption_store),
        clock=clock,
    )


class CachedExemptions:
    """Slack-granted exemptions read at most once per ``max_age`` seconds (monotonic time).

    The records are kept and filtered by each call's ``now``, so one that expires stops
    applying at once; one granted or revoked elsewhere applies within ``max_age``. A write
    from this very process (the sandbox's Slack endpoint) is seen at once.
    """

    def __init__(
        self,
        store: ExemptionStore,
        *,
        max_age: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._max_age = max_age
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._records: list[ExemptionRecord] | None = None
        self._read_at = 0.0
        self._writes = -1

    def __call__(self, now: datetime) -> list[Exemption]:
        from govbot.ledger._state import exemption_writes

        with self._lock:
            writes = exemption_writes()
            stale = (
                self._records is None
                or writes != self._writes
                or self._monotonic() - self._read_at >= self._max_age
            )
            if stale:
                # Every active record (expiry is applied per call below, at each ``now``).
                self._records = [
                    r for r in self._store.active_exemptions(None) if r.status == "active"
                ]
                self._read_at, self._writes = self._monotonic(), writes
            records = list(self._records or ())
        return to_policy_exemptions(r for r in records if r.is_active(now))

    def invalidate(self) -> None:
        """Forget what was read: the next call reads the ledger again."""
        with self._lock:
            self._records = None


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
