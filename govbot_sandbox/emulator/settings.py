"""Tunable behaviour of the emulator and the per-call environment handed to operations."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govbot_sandbox.emulator.amis import AmiStore
from govbot_sandbox.emulator.contract import CallContext
from govbot_sandbox.emulator.state import ImageRecord, World


@dataclass
class Settings:
    """Durations and quotas. Change them on ``backend.settings`` between calls.

    ``mark_copy_source_copying``: when True the source of an in-flight copy is shown as
    COPYING (further copies are still accepted; sharing changes are refused as not
    AVAILABLE). Default False: the source stays AVAILABLE, the simpler reading.
    """

    copy_duration_seconds: float = 600.0
    build_duration_seconds: float = 1200.0
    max_concurrent_copies: int = 2
    max_shared_accounts: int = 100
    max_concurrent_updates: int = 5
    max_tags: int = 50
    mark_copy_source_copying: bool = False
    fleets_page_size: int = 25
    fleet_start_seconds: float = 60.0
    builder_start_seconds: float = 120.0
    builder_stop_seconds: float = 60.0
    export_duration_seconds: float = 900.0
    import_duration_seconds: float = 1800.0
    max_concurrent_exports: int = 2
    streaming_url_default_seconds: int = 3600


@dataclass
class OpEnv:
    """What one operation sees: the world, the settings, the time and the caller."""

    world: World
    settings: Settings
    now: datetime
    ctx: CallContext
    copy_failures: dict[str, deque[str]] = field(default_factory=dict)
    # EC2's AMIs (exports make them, imports read them); None only in bare unit setups.
    amis: AmiStore | None = None

    def is_copying(self, image: ImageRecord) -> bool:
        """True when ``image`` is the source of an in-flight copy and that is displayed."""
        if not self.settings.mark_copy_source_copying:
            return False
        return any(
            i.copy_source_arn == image.arn and i.state == "PENDING"
            for i in self.world.images.values()
        )


Handler = Callable[[OpEnv, dict[str, Any]], dict[str, Any]]
