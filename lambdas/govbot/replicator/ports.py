"""What the replicator needs from the world, as Protocols, and its injected dependencies."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from govbot.clock import utcnow
from govbot.domain import ImageRef, ImageSnapshot, Permissions
from govbot.gateways.appstream import FleetUsage
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import CopyJob
from govbot.policy.judge import Judge


class AppStreamPort(Protocol):
    """The AppStream gateway operations the replicator uses."""

    def describe_image(self, ref: ImageRef) -> ImageSnapshot | None: ...
    def list_images(
        self, account_id: str, region: str, *, visibility: Any = "PRIVATE", details: bool = True
    ) -> Iterable[ImageSnapshot]: ...
    def copy_image(
        self, ref: ImageRef, destination_region: str, destination_name: str, description: str | None
    ) -> str: ...
    def tag_image(self, ref: ImageRef, tags: Mapping[str, str]) -> None: ...
    def update_permissions(
        self, ref: ImageRef, account_id: str, permissions: Permissions
    ) -> None: ...
    def delete_image(self, ref: ImageRef) -> None: ...
    def fleets_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[FleetUsage]: ...


class LedgerPort(Protocol):
    """The ledger operations the replicator uses (copy jobs and the outbox)."""

    def get_copy_job(self, source_arn: str, destination_region: str) -> CopyJob | None: ...
    def put_copy_job(self, job: CopyJob, *, expected_version: int | None) -> CopyJob: ...
    def active_copy_jobs(self) -> list[CopyJob]: ...
    def add_outbox(self, items: Sequence[OutboxItem]) -> int: ...
    def by_image(
        self,
        image_arn: str,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Iterable[str] | None = None,
        *,
        limit: int | None = None,
    ) -> Sequence[Any]: ...


@dataclass(frozen=True)
class ReplicatorDeps:
    """Everything the replicator touches, injected so tests use fakes or the sandbox."""

    appstream: AppStreamPort
    ledger: LedgerPort
    # The policy engine with its inputs: see govbot.governance.build_judge.
    judge: Judge
    governed_accounts: frozenset[str]
    governed_regions: frozenset[str]
    clock: Callable[[], datetime] = utcnow
