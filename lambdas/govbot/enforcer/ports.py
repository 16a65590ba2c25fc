"""What the enforcer depends on and what it returns; fakes implement the same Protocols."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from govbot.clock import utcnow
from govbot.domain import ImageRef, ImageSnapshot, Permissions
from govbot.enforcer.guards import ClaimSettings, GuardPort, LocalGuards
from govbot.gateways.appstream import BuilderUsage, FleetUsage
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle, EventRecord
from govbot.ledger.records.inputs import OutcomeCommit, UnhandledInput
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState, ExemptionRecord
from govbot.policy.judge import Judge
from govbot.policy.results import Evaluation, Verdict

Status = Literal["processed", "ignored", "rejected", "duplicate"]


class AppStreamPort(Protocol):
    """What the enforcer needs from the AppStream gateway."""

    def describe_image(
        self, ref: ImageRef, *, listed: bool = True, tags: bool = True
    ) -> ImageSnapshot | None: ...
    def update_permissions(
        self, ref: ImageRef, account_id: str, permissions: Permissions
    ) -> None: ...
    def delete_permissions(self, ref: ImageRef, account_id: str) -> None: ...
    def fleets_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[FleetUsage]: ...
    def builders_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[BuilderUsage]: ...
    def list_fleets(self, account_id: str, region: str) -> list[FleetUsage]: ...
    def list_image_builders(self, account_id: str, region: str) -> list[BuilderUsage]: ...


class LedgerPort(Protocol):
    """What the enforcer needs from the ledger gateway."""

    def record_event(self, rec: EventRecord) -> bool: ...
    def record_unhandled(self, unhandled: UnhandledInput) -> str: ...
    def get_event(self, event_id: str) -> EventBundle: ...
    def put_action(self, action: ActionRecord) -> None: ...
    def put_decisions(self, decisions: Sequence[DecisionRecord]) -> None: ...
    def commit_outcome(self, commit: OutcomeCommit) -> bool: ...
    def add_outbox(self, items: Sequence[OutboxItem]) -> int: ...
    def lapsed_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]: ...
    def put_exemption(self, rec: ExemptionRecord) -> ExemptionRecord: ...
    def get_announced(
        self, image_arn: str, viewer_account_id: str | None = None
    ) -> AnnouncedState | None: ...
    def put_announced(self, rec: AnnouncedState) -> AnnouncedState: ...
    def open_announcements(self) -> list[AnnouncedState]: ...


@dataclass(frozen=True)
class EnforcerDeps:
    """Everything the enforcer touches, injected so tests use fakes or the sandbox."""

    appstream: AppStreamPort
    ledger: LedgerPort
    # The policy engine with its inputs (policy, organization, exemptions): see
    # govbot.governance.build_judge.
    judge: Judge
    governed_accounts: frozenset[str]
    governed_regions: frozenset[str]
    self_principals: tuple[str, ...] = ()
    bot_principal_arn: str | None = None
    clock: Callable[[], datetime] = utcnow
    # Event claims and share fences (see govbot.enforcer.guards). Deployed: the ledger, so
    # every container shares them; the in-memory default guards one process only.
    guards: GuardPort = field(default_factory=LocalGuards)
    claims: ClaimSettings = field(default_factory=ClaimSettings)
    # The key deferred work must be signed with (Secrets Manager, via the secrets gateway);
    # None: no key is configured, and every work envelope is refused.
    work_key: Callable[[], bytes] | None = None
    # () -> ExitReader (govbot.enforcer.exits), built on first use: exports to AMIs and
    # builders' settings are read and remedied only when a rule of the policy judges them.
    exits: Callable[[], Any] | None = None


@dataclass(frozen=True)
class EnforcementResult:
    """What happened to one event (for logs, metrics and tests)."""

    status: Status
    event_id: str
    note: str = ""
    actions: tuple[ActionRecord, ...] = ()
    outbox: tuple[OutboxItem, ...] = field(default_factory=tuple)
    # The policy's verdicts when the image was evaluated (None when it never was).
    evaluation: Evaluation | None = None
    # Standing (audit or report-only) violations this result announced: new or changed.
    fresh: tuple[Verdict, ...] = ()


@dataclass(frozen=True)
class AlreadyRecorded:
    """A write that assumed the event was new found it in the ledger (a redelivery), or
    another invocation holds its claim: the caller reads the ledger and waits its turn
    (:meth:`govbot.enforcer.commit.CommitStep.once`)."""

    event_id: str
