"""Announce changes, not states: which standing findings people still need to hear about.

A violation govbot leaves in place (audit mode or a report-only rule) is announced when it
appears or changes, and once more when it is resolved; while it stands, it is recalled at
most in the drift sweep's reminder digest (``notifications.reminder_interval_hours``),
never by every event or sweep that sees it again. The ledger keeps every observation (the
decision records); only notifications are deduplicated, against one ``AnnouncedState``
record per image holding a fingerprint of each announced finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from govbot.domain import ImageRef, highest_severity
from govbot.ledger.keys import format_ts, stable_id
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import OutboxPayload
from govbot.ledger.records.state import AnnouncedState
from govbot.policy.results import Verdict

MAX_REMINDER_LINES = 20


class AnnouncementStore(Protocol):
    """Where announced states are kept (the ledger)."""

    def get_announced(
        self, image_arn: str, viewer_account_id: str | None = None
    ) -> AnnouncedState | None: ...
    def put_announced(self, rec: AnnouncedState) -> AnnouncedState: ...
    def open_announcements(self) -> list[AnnouncedState]: ...
    def add_outbox(self, items: Sequence[OutboxItem]) -> int: ...


def finding_key(verdict: Verdict) -> str:
    """``rule|account|permission`` (``-`` and ``share`` for image-level verdicts)."""
    return f"{verdict.rule_id}|{verdict.account_id or '-'}|{verdict.permission or 'share'}"


def fingerprint(verdict: Verdict) -> str:
    """What makes a finding "the same" as announced: mode, severity and the reason text."""
    return stable_id(verdict.outcome, verdict.mode, verdict.severity, verdict.reason)


def _entry(verdict: Verdict) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint(verdict),
        "rule_id": verdict.rule_id,
        "account_id": verdict.account_id,
        "permission": verdict.permission,
        "severity": verdict.severity,
        "reason": verdict.reason,
    }


@dataclass(frozen=True)
class Announcement:
    """What to tell people about one image now, and the state to store once it is told."""

    fresh: tuple[Verdict, ...] = ()  # appeared or changed since last announced
    resolved: tuple[dict[str, Any], ...] = ()  # announced before, gone now
    state: AnnouncedState | None = None  # None: nothing to store
    changed: bool = field(default=False)

    @property
    def quiet(self) -> bool:
        """True when nothing needs saying."""
        return not self.fresh and not self.resolved


def announce(
    previous: AnnouncedState | None,
    ref: ImageRef,
    standing: Sequence[Verdict],
    now: datetime,
    *,
    viewer_account_id: str | None = None,
) -> Announcement:
    """Compare ``standing`` violations with what was last announced for ``ref`` (as seen
    from ``viewer_account_id`` when another account owns the image)."""
    before: Mapping[str, Mapping[str, Any]] = previous.findings if previous else {}
    current = {finding_key(v): v for v in standing}
    fresh = tuple(
        v for key, v in current.items() if before.get(key, {}).get("fingerprint") != fingerprint(v)
    )
    resolved = tuple(dict(entry) for key, entry in before.items() if key not in current)
    if not fresh and not resolved:
        return Announcement()
    state = AnnouncedState(
        image_arn=ref.arn,
        image_name=ref.name,
        region=ref.region,
        account_id=ref.account_id,
        viewer_account_id=viewer_account_id,
        findings={key: _entry(v) for key, v in current.items()},
        announced_at=now,
        reminded_at=previous.reminded_at if previous and current else None,
    )
    return Announcement(fresh=fresh, resolved=resolved, state=state, changed=True)


def resolved_item(
    ref: ImageRef,
    resolved: Iterable[Mapping[str, Any]],
    *,
    cause: str,
    discriminator: str,
    occurred_at: datetime,
    event_id: str | None = None,
    actor_arn: str | None = None,
) -> OutboxItem:
    """The ``violation_resolved`` notification: findings announced before are gone."""
    entries = list(resolved)
    payload = OutboxPayload(
        message_kind="violation_resolved",
        severity=highest_severity((str(e.get("severity")) for e in entries), default="low"),
        image_arn=ref.arn,
        image_name=ref.name,
        region=ref.region,
        account_id=ref.account_id,
        actor_arn=actor_arn,
        event_id=event_id,
        occurred_at=format_ts(occurred_at),
        shared_account_ids=sorted({str(e["account_id"]) for e in entries if e.get("account_id")}),
        rule_ids=sorted({str(e.get("rule_id")) for e in entries}),
        summary=f"{len(entries)} violation(s) on {ref.name} ({ref.region}) resolved: {cause}",
        details={
            "violations": [
                {
                    "rule_id": e.get("rule_id"),
                    "account_id": e.get("account_id"),
                    "permission": e.get("permission"),
                    "reason": e.get("reason"),
                }
                for e in entries
            ],
            "cause": cause,
        },
    )
    return OutboxItem.from_payload(payload, discriminators=(discriminator, ref.arn, "resolved"))


def due_for_reminder(
    states: Iterable[AnnouncedState], now: datetime, interval_hours: int
) -> list[AnnouncedState]:
    """Open states last announced or recalled at least ``interval_hours`` ago."""
    if interval_hours <= 0:
        return []
    interval = timedelta(hours=interval_hours)
    due = []
    for state in states:
        times = [t for t in (state.announced_at, state.reminded_at) if t is not None]
        if state.findings and times and now - max(times) >= interval:
            due.append(state)
    return sorted(due, key=lambda s: s.image_arn)


def reminder_item(
    due: Sequence[AnnouncedState], *, run_event_id: str, now: datetime, interval_hours: int
) -> OutboxItem:
    """The one ``violation_reminder`` digest of a sweep run: findings still standing."""
    lines: list[dict[str, Any] | str] = []
    for state in due:
        for entry in state.findings.values():
            permission = str(entry.get("permission") or "share").replace("_", " ")
            since = format_ts(state.announced_at) if state.announced_at else "?"
            expected, actual = f"no {permission}", f"{permission} on {state.image_name}"
            if state.viewer_account_id is not None:  # another account's image in use
                expected = f"no {permission} on images of untrusted owners"
                actual = f"a {permission} on {state.image_name} of account {state.account_id}"
            lines.append(
                {
                    "account_id": entry.get("account_id") or "-",
                    "expected": expected,
                    "actual": (
                        f"{actual} ({state.region}), "
                        f"standing since {since} (rule {entry.get('rule_id')})"
                    ),
                    "image_arn": state.image_arn,
                    "rule_ids": [entry.get("rule_id")],
                }
            )
    count = len(lines)
    if count > MAX_REMINDER_LINES:
        lines = [*lines[: MAX_REMINDER_LINES - 1], f"...and {count - MAX_REMINDER_LINES + 1} more"]
    severities = [str(e.get("severity")) for s in due for e in s.findings.values()]
    payload = OutboxPayload(
        message_kind="violation_reminder",
        severity=highest_severity(severities, default="low"),
        image_name=f"{len(due)} image(s)",
        occurred_at=format_ts(now),
        event_id=run_event_id,
        rule_ids=sorted({str(e.get("rule_id")) for s in due for e in s.findings.values()}),
        shared_account_ids=sorted(
            {str(e["account_id"]) for s in due for e in s.findings.values() if e.get("account_id")}
        ),
        summary=(
            f"Reminder: {count} violation(s) on {len(due)} image(s) still stand, left for "
            f"people (recalled at most every {interval_hours} h)"
        ),
        details={"drift": lines, "action": "nothing (already announced; still standing)"},
    )
    return OutboxItem.from_payload(payload, discriminators=(run_event_id, "reminder"))


def resolve_announced(
    store: AnnouncementStore,
    state: AnnouncedState,
    *,
    cause: str,
    discriminator: str,
    now: datetime,
) -> None:
    """Tell people the standing findings of ``state``'s image are gone, and remember it.

    The outbox id derives from ``discriminator`` and the image: a retry notifies once.
    """
    if not state.findings:
        return
    ref = ImageRef.from_arn(state.image_arn)
    item = resolved_item(
        ref, state.findings.values(), cause=cause, discriminator=discriminator, occurred_at=now
    )
    store.add_outbox([item])
    store.put_announced(state.model_copy(update={"findings": {}, "announced_at": now}))


def pass_reminders(
    store: AnnouncementStore, *, run_event_id: str, now: datetime, interval_hours: int
) -> tuple[list[OutboxItem], list[AnnouncedState]]:
    """The reminder digest of one sweep pass (at most one item) and the states to store
    once it is committed (their ``reminded_at`` moved to ``now``)."""
    due = due_for_reminder(store.open_announcements(), now, interval_hours)
    if not due:
        return [], []
    item = reminder_item(due, run_event_id=run_event_id, now=now, interval_hours=interval_hours)
    return [item], [state.model_copy(update={"reminded_at": now}) for state in due]


class ImageReader(Protocol):
    """Whether an image still exists (the AppStream gateway)."""

    def describe_image(self, ref: ImageRef) -> Any: ...


def deleted_resolution(
    store: AnnouncementStore,
    appstream: ImageReader,
    event: Any,
    ref: ImageRef,
    now: datetime,
) -> tuple[list[OutboxItem], AnnouncedState | None]:
    """After a DeleteImage: the ``violation_resolved`` item and the state to store once
    committed, when ``ref`` had standing findings and is really gone; else nothing.

    The image is read again (only when something stands): a refused or not yet finished
    delete leaves the findings standing.
    """
    state = store.get_announced(ref.arn)
    if state is None or not state.findings or appstream.describe_image(ref) is not None:
        return [], None
    item = resolved_item(
        ref,
        state.findings.values(),
        cause=f"image deleted by {event.actor_arn or 'unknown'}",
        discriminator=event.event_id,
        occurred_at=event.event_time,
        event_id=event.event_id,
        actor_arn=event.actor_arn,
    )
    return [item], state.model_copy(update={"findings": {}, "announced_at": now})
