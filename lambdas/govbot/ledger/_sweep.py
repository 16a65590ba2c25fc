"""The drift sweep's checkpoint: read it in one Query, write it with optimistic locking."""

from __future__ import annotations

from typing import TypeVar

from govbot.ledger._core import LedgerCore
from govbot.ledger.records import SweepLane, SweepPass
from govbot.ledger.records.sweep import SWEEP_PK

SweepRecord = TypeVar("SweepRecord", SweepPass, SweepLane)


class SweepMixin(LedgerCore):
    """``sweep_checkpoint`` (pass + lanes) and ``put_sweep_record`` (versioned)."""

    def sweep_checkpoint(self) -> tuple[SweepPass | None, list[SweepLane]]:
        """The current (or last) pass and every lane record, in one consistent Query."""
        records = list(
            self._query(key_condition="#pk = :pk", names={"#pk": "pk"}, values={":pk": SWEEP_PK})
        )
        current = next((r for r in records if isinstance(r, SweepPass)), None)
        return current, [r for r in records if isinstance(r, SweepLane)]

    def put_sweep_record(self, record: SweepRecord, *, expected_version: int | None) -> SweepRecord:
        """Write ``record`` if the stored version is still ``expected_version``.

        ``None`` creates it (it must not exist). Stores and returns ``version + 1``; raises
        :class:`ConcurrentUpdate` when another invocation wrote it first.
        """
        return self._put_versioned(
            record, expected_version, f"sweep {record.kind} {record.keys()[1]}"
        )
