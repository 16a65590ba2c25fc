"""One in-memory ledger for every unit test (no DynamoDB, no moto).

It extends the CLI's :class:`~govbot_cli.memory.MemoryLedger` (an event recorded once, an
outcome committed only while its event is ``received``, outbox items never overwritten)
with the rest of the real ledger's contracts that tests rely on: a commit of more than 100
items is refused, copy jobs and sweep checkpoints take an optimistic version lock, outbox
items are claimed and marked for delivery. It also keeps what tests observe (every commit,
every action write, every outbox mark) and can crash a commit on demand. The functions at
the bottom make mypy prove it implements every ledger port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from govbot.actions.endpoint import ActionsLedger
from govbot.enforcer.announce import AnnouncementStore
from govbot.enforcer.expiry import ExemptionLedger
from govbot.enforcer.ports import LedgerPort as EnforcerLedgerPort
from govbot.enforcer.sweep.context import CheckpointPort
from govbot.governance import ExemptionStore
from govbot.ledger.errors import (
    AnnouncementChanged,
    ConcurrentUpdate,
    OutboxNotFound,
    TransactionTooLarge,
)
from govbot.ledger.records.base import LedgerRecord
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle, EventRecord
from govbot.ledger.records.inputs import OutcomeCommit
from govbot.ledger.records.outbox import OutboxItem, OutboxStatus
from govbot.ledger.records.state import AnnouncedState, CopyJob, ExemptionRecord
from govbot.ledger.records.sweep import SweepLane, SweepPass
from govbot.notifier.delivery import OutboxLedger
from govbot.replicator.ports import LedgerPort as ReplicatorLedgerPort
from govbot_cli.deps import LedgerReader
from govbot_cli.memory import MemoryLedger
from govbot_cli.memory import _announced_key as announced_key
from tests.fakes.clock import FakeClock

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit
OPEN_EVENT_STATUSES = ("received", "rejected")  # the only ones the by-status index holds


class Crash(Exception):
    """The Lambda died here (timeout, out of memory): nothing after it ran."""


@dataclass
class Commit:
    """One successful ``commit_outcome`` call, as the caller made it."""

    event_id: str
    decisions: tuple[DecisionRecord, ...]
    actions: tuple[ActionRecord, ...]
    outbox: tuple[OutboxItem, ...]
    event_status: str
    note: str | None


class FakeLedger(MemoryLedger):
    """The ledger over dictionaries, with the real gateway's conditions.

    ``records`` is a history already in the table, stored as given (:meth:`put_record`).
    ``crash_on_commit`` is how many next commits die (:class:`Crash`) before writing anything.
    """

    def __init__(
        self,
        clock: Callable[[], datetime] | None = None,
        *,
        records: Iterable[LedgerRecord] = (),
    ) -> None:
        self.clock: Callable[[], datetime] = clock or FakeClock()
        super().__init__(self.clock)
        self.jobs: dict[tuple[str, str], CopyJob] = {}
        self.sweep: dict[str, SweepPass | SweepLane] = {}
        self.commits: list[Commit] = []
        self.overflow_writes: list[tuple[DecisionRecord, ...]] = []
        self.action_writes: list[ActionRecord] = []
        self.event_writes: list[EventRecord] = []
        self.job_writes = 0
        self.marks: list[tuple[str, str, int]] = []
        self.crash_on_commit = 0
        self.queries: list[tuple[Any, ...]] = []
        self.built_with: list[tuple[str | None, ...]] = []
        for record in records:
            self.put_record(record)

    def factory(self, table: str, region: str | None, *endpoint: str) -> FakeLedger:
        """The CLI's ``ledger`` dependency: remembers the table, region and endpoint."""
        self.built_with.append((table, region, *endpoint))
        return self

    # -- a history put in place by a test --------------------------------------------------
    def put_record(self, record: LedgerRecord) -> None:
        """Store ``record`` exactly as given (no stamping, no conditions)."""
        match record:
            case EventRecord():
                self.events[record.event_id] = record
            case DecisionRecord():
                self.decisions.setdefault(record.event_id, {})[record.keys()[1]] = record
            case ActionRecord():
                self.actions.setdefault(record.event_id, {})[record.keys()[1]] = record
            case OutboxItem():
                self.outbox[record.outbox_id] = record
            case ExemptionRecord():
                self.exemptions[record.exemption_id] = record
            case CopyJob():
                self.jobs[(record.source_arn, record.destination_region)] = record
            case AnnouncedState():
                key = announced_key(record.image_arn, record.viewer_account_id)
                self.announced[key] = record
            case SweepPass() | SweepLane():
                self.sweep[record.keys()[1]] = record
            case _:
                raise TypeError(f"FakeLedger cannot store a {type(record).__name__}")

    def records(self) -> list[LedgerRecord]:
        """Every stored record, of every kind."""
        found: list[LedgerRecord] = [*self.events.values()]
        for decisions in self.decisions.values():
            found += decisions.values()
        for actions in self.actions.values():
            found += actions.values()
        found += [*self.outbox.values(), *self.exemptions.values(), *self.jobs.values()]
        found += [*self.announced.values(), *self.sweep.values()]
        return found

    # -- events and outcomes ---------------------------------------------------------------
    def record_event(self, rec: EventRecord) -> bool:
        self.event_writes.append(rec)
        return super().record_event(rec)

    def put_action(self, action: ActionRecord) -> None:
        self.action_writes.append(action)
        super().put_action(action)

    def put_decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        self.overflow_writes.append(tuple(decisions))
        super().put_decisions(decisions)

    def commit_outcome(self, commit: OutcomeCommit) -> bool:
        event_id, decisions, actions, outbox = (
            commit.event_id,
            commit.decisions,
            commit.actions,
            commit.outbox,
        )
        if self.crash_on_commit:
            self.crash_on_commit -= 1
            raise Crash(f"crashed before committing {event_id!r}")
        count = 1 + len(decisions) + len(actions) + len(outbox)
        if count > MAX_TRANSACTION_ITEMS:  # checked first, as the real ledger does
            raise TransactionTooLarge(f"commit of {event_id!r} needs {count} items")
        if commit.new_event is not None and event_id in self.events:
            return False  # the real ledger's conditional put of a new event
        guarded = self.announced.get(commit.announced_guard or "")
        if guarded is not None and guarded.findings:
            raise AnnouncementChanged(f"{commit.announced_guard} has an open announcement")
        committed = super().commit_outcome(commit)
        if committed:
            self.commits.append(
                Commit(
                    event_id,
                    tuple(decisions),
                    tuple(actions),
                    tuple(outbox),
                    commit.event_status,
                    commit.note,
                )
            )
        return committed

    # -- outbox delivery (the notifier) ----------------------------------------------------
    def get_outbox(self, outbox_id: str) -> OutboxItem | None:
        return self.outbox.get(outbox_id)

    def outbox_by_status(self, status: OutboxStatus, limit: int = 100) -> list[OutboxItem]:
        self.queries.append(("outbox_by_status", status, limit))
        return [i for i in self.outbox.values() if i.status == status][:limit]

    def claim_outbox_for_delivery(self, outbox_id: str, *, lease_seconds: int = 120) -> bool:
        item = self.outbox.get(outbox_id)
        if item is None:
            raise OutboxNotFound(f"no outbox item {outbox_id!r} to claim")
        now = self.clock()
        lease_expired = item.lease_until is not None and item.lease_until < now
        if item.status not in ("pending", "failed") and not (
            item.status == "sending" and lease_expired
        ):
            return False
        lease_until = now + timedelta(seconds=lease_seconds)
        self.outbox[outbox_id] = item.model_copy(
            update={"status": "sending", "lease_until": lease_until}
        )
        return True

    def mark_outbox(
        self,
        outbox_id: str,
        *,
        status: OutboxStatus,
        attempts: int,
        error: str | None = None,
        digest_id: str | None = None,
        possible_duplicates: int | None = None,
    ) -> None:
        update: dict[str, Any] = {"status": status, "delivery_attempts": attempts}
        if possible_duplicates is not None:
            update["possible_duplicates"] = possible_duplicates
        update["lease_until"] = None
        if error is not None:
            update["last_error"] = error
        if digest_id is not None:
            update["digest_id"] = digest_id
        self.outbox[outbox_id] = self.outbox[outbox_id].model_copy(update=update)
        self.marks.append((outbox_id, status, attempts))

    # -- copy jobs (the replicator) --------------------------------------------------------
    def get_copy_job(self, source_arn: str, destination_region: str) -> CopyJob | None:
        return self.jobs.get((source_arn, destination_region))

    def put_copy_job(self, job: CopyJob, *, expected_version: int | None) -> CopyJob:
        key = (job.source_arn, job.destination_region)
        current = self.jobs.get(key)
        if (current.version if current else None) != expected_version:
            raise ConcurrentUpdate(f"{key} changed")
        stored = job.model_copy(update={"version": (expected_version or 0) + 1})
        self.jobs[key] = stored.stamped(self.clock())
        self.job_writes += 1
        return self.jobs[key]

    def active_copy_jobs(self) -> list[CopyJob]:
        return [j for j in self.jobs.values() if j.is_active]

    # -- queries (the replicator and ``govbot ledger``) ------------------------------------
    def by_image(
        self,
        image_arn: str,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Iterable[str] | None = None,
        *,
        limit: int | None = None,
    ) -> list[LedgerRecord]:
        """Records about an image (the ``by-image`` index), oldest first."""
        self.queries.append(("by_image", image_arn, limit))
        return self._indexed("image_arn", image_arn, start, end, kinds, limit)

    def by_account(
        self,
        shared_account_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Iterable[str] | None = None,
        *,
        limit: int | None = None,
    ) -> list[LedgerRecord]:
        """Records about a grantee account (the ``by-account`` index), oldest first."""
        self.queries.append(("by_account", shared_account_id, limit))
        return self._indexed("shared_account_id", shared_account_id, start, end, kinds, limit)

    def by_time(
        self,
        start: datetime,
        end: datetime,
        kinds: Iterable[str] | None = None,
        *,
        limit: int | None = None,
    ) -> list[LedgerRecord]:
        """Records whose time falls in ``[start, end]``, oldest first."""
        self.queries.append(("by_time", start, end, limit))
        return self._indexed(None, None, start, end, kinds, limit)

    def get_event(self, event_id: str) -> EventBundle:
        self.queries.append(("get_event", event_id))
        return super().get_event(event_id)

    def events_by_status(self, status: str, *, limit: int | None = None) -> list[EventRecord]:
        """Events still ``received`` or ``rejected`` (the only statuses indexed)."""
        self.queries.append(("events_by_status", status, limit))
        if status not in OPEN_EVENT_STATUSES:
            raise ValueError(f"only open statuses are indexed {OPEN_EVENT_STATUSES}: {status!r}")
        return [e for e in self.events.values() if e.status == status][:limit]

    def get_exemption(self, exemption_id: str) -> ExemptionRecord | None:
        return self.exemptions.get(exemption_id)

    def _indexed(
        self,
        attribute: str | None,
        value: str | None,
        start: datetime | None,
        end: datetime | None,
        kinds: Iterable[str] | None,
        limit: int | None,
    ) -> list[LedgerRecord]:
        wanted = set(kinds) if kinds else None
        earliest = datetime.min.replace(tzinfo=UTC)
        found = [
            r
            for r in self.records()
            if (attribute is None or _attribute(r, attribute) == value)
            and (wanted is None or r.kind in wanted)
            and _within(r.timestamp(), start, end)
        ]
        found.sort(key=lambda r: r.timestamp() or earliest)
        return found[:limit]

    # -- the sweep's checkpoint ------------------------------------------------------------
    def sweep_checkpoint(self) -> tuple[SweepPass | None, list[SweepLane]]:
        current = self.sweep.get("PASS")
        assert current is None or isinstance(current, SweepPass)
        return current, [r for r in self.sweep.values() if isinstance(r, SweepLane)]

    def put_sweep_record(
        self, record: SweepPass | SweepLane, *, expected_version: int | None
    ) -> SweepPass | SweepLane:
        key = record.keys()[1]
        stored = self.sweep.get(key)
        if (stored.version if stored else None) != expected_version:
            raise ConcurrentUpdate(f"{key}: expected {expected_version}")
        new = record.model_copy(update={"version": (expected_version or 0) + 1})
        self.sweep[key] = new.stamped(self.clock())
        return self.sweep[key]

    # -- observations ----------------------------------------------------------------------
    def outbox_of(self, kind: str) -> list[OutboxItem]:
        """Outbox items of one ``message_kind``."""
        return [o for o in self.outbox.values() if o.message_kind == kind]

    def kinds(self) -> list[str]:
        """The ``message_kind`` of every outbox item, sorted."""
        return sorted(o.message_kind for o in self.outbox.values())


def _attribute(record: LedgerRecord, name: str) -> object:
    """The index key the real table would hold: an index attribute, else the model field."""
    return record.index_attributes().get(name) or getattr(record, name, None)


def _within(ts: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    """Whether ``ts`` is in ``[start, end]``; with no bound given, every record is."""
    if start is None and end is None:
        return True
    return ts is not None and (start is None or ts >= start) and (end is None or ts <= end)


# mypy proves the fake implements every ledger port (these are never called).
def _enforcer(fake: FakeLedger) -> EnforcerLedgerPort:
    return fake


def _replicator(fake: FakeLedger) -> ReplicatorLedgerPort:
    return fake


def _sweep(fake: FakeLedger) -> CheckpointPort:
    return fake


def _expiry(fake: FakeLedger) -> ExemptionLedger:
    return fake


def _announce(fake: FakeLedger) -> AnnouncementStore:
    return fake


def _governance(fake: FakeLedger) -> ExemptionStore:
    return fake


def _notifier(fake: FakeLedger) -> OutboxLedger:
    return fake


def _slack_actions(fake: FakeLedger) -> ActionsLedger:
    return fake


def _cli(fake: FakeLedger) -> LedgerReader:
    return fake
