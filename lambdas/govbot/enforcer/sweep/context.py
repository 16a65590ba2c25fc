"""What every lane of one sweep invocation shares, and the ports the sweep reads through.

Apart from :mod:`govbot.enforcer.sweep.lanes` so the inbound check (which the lanes call)
can take the context without importing the lanes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from govbot.domain import ImageRef, ImageSnapshot
from govbot.enforcer.exits import ExitReader
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.sweep.schedule import PassIdentity
from govbot.gateways.appstream import BuilderUsage, FleetUsage, ImagePage
from govbot.ledger.records.state import AnnouncedState
from govbot.ledger.records.sweep import SweepLane, SweepPass


class InventoryPort(Protocol):
    """What the sweep needs from the AppStream gateway to list a lane page by page."""

    def image_page(self, account_id: str, region: str, token: str | None = None) -> ImagePage: ...
    def with_details(self, image: ImageSnapshot) -> ImageSnapshot | None: ...
    # Images gone while findings stood, and others' images governed accounts run:
    def describe_image(self, ref: ImageRef) -> ImageSnapshot | None: ...
    def list_images(
        self,
        account_id: str,
        region: str,
        *,
        visibility: Literal["PRIVATE", "SHARED", "PUBLIC"] = "PRIVATE",
        details: bool = True,
    ) -> Iterable[ImageSnapshot]: ...
    def list_fleets(self, account_id: str, region: str) -> list[FleetUsage]: ...
    def list_image_builders(self, account_id: str, region: str) -> list[BuilderUsage]: ...


class CheckpointPort(Protocol):
    """The ledger calls the sweep's checkpoint needs."""

    def sweep_checkpoint(self) -> tuple[SweepPass | None, list[SweepLane]]: ...
    def put_sweep_record(self, record: Any, *, expected_version: int | None) -> Any: ...


class Deadline:
    """``short()`` once less than ``reserve_ms`` of the invocation is left."""

    def __init__(self, remaining_ms: Callable[[], int] | None, reserve_ms: int) -> None:
        self._remaining_ms = remaining_ms
        self._reserve_ms = reserve_ms

    def short(self) -> bool:
        """True when no new work should start."""
        return self._remaining_ms is not None and self._remaining_ms() < self._reserve_ms

    def lease_seconds(self, default: int) -> int:
        """How long a lane claimed now may be held: the invocation's remaining time."""
        if self._remaining_ms is None:
            return default
        return max(1, self._remaining_ms() // 1000)


@dataclass(frozen=True)
class LaneContext:
    """What every lane of one invocation shares."""

    enforcer: Enforcer  # run-scoped: one policy view for the whole invocation
    inventory: InventoryPort
    checkpoint: CheckpointPort
    run: PassIdentity
    deadline: Deadline
    owner: str  # this invocation's lease token
    now: datetime
    calls_in_flight: int
    lease_seconds: int
    # Images with standing findings people were told about (resolved when found compliant).
    announced: Mapping[str, AnnouncedState] = field(default_factory=dict)
    # The same for others' images as governed accounts use them, by (image ARN, viewer).
    viewed: Mapping[tuple[str, str], AnnouncedState] = field(default_factory=dict)
    # Exports to AMIs and builders' settings, read and remedied when a rule judges them.
    exits: ExitReader | None = None
