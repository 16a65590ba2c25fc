"""The drift sweep's checkpoint: read it in one Query, write it with optimistic locking."""

from __future__ import annotations

from typing import Any, TypeVar

from botocore.exceptions import ClientError

from govbot.ledger._core import NOT_EXISTS, LedgerCore, is_condition_failure
from govbot.ledger.errors import ConcurrentUpdate
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
        new_version = 1 if expected_version is None else expected_version + 1
        stored = record.model_copy(update={"version": new_version}).stamped(self.now())
        params: dict[str, Any] = {"TableName": self.table_name, "Item": self._encode(stored)}
        if expected_version is None:
            params["ConditionExpression"] = NOT_EXISTS
        else:
            params["ConditionExpression"] = "#version = :expected"
            params["ExpressionAttributeNames"] = {"#version": "version"}
            params["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
        try:
            self.client.put_item(**params)
        except ClientError as exc:
            if is_condition_failure(exc):
                raise ConcurrentUpdate(
                    f"sweep {record.kind} {record.keys()[1]} changed under us "
                    f"(expected {'absent' if expected_version is None else expected_version})"
                ) from exc
            raise
        return stored
