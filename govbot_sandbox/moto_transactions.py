"""A cancelled DynamoDB transaction writes nothing, its stream included, as on AWS.

moto applies a ``TransactWriteItems`` item by item and, when one condition fails, restores
each touched table from a deep copy taken before. The copy carries its own stream shard,
so the records the applied items had added stay on the shard object that readers hold
(their iterators reference it) while the table now appends to the copy's: a reader never
sees a record again. AWS writes nothing for a cancelled transaction and streams nothing.
Here the live shard is kept, cut back to where it was, and given back to the restored
table. govbot's commits rely on cancellation (a redelivered event, the announcement
guard), so the sandbox's notifier must see exactly what AWS would stream. Importing this
module is enough.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models import DynamoDBBackend


def _keeping_streams(transact: Any) -> Any:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = {
            name: (table, table.stream_shard, len(table.stream_shard.items))
            for name, table in self.tables.items()
            if getattr(table, "stream_shard", None) is not None
        }
        try:
            transact(self, transact_items)
        except Exception:
            for name, (table, shard, count) in before.items():
                restored = self.tables.get(name)
                if restored is not None and restored is not table:  # rolled back
                    del shard.items[count:]
                    shard.table = restored
                    restored.stream_shard = shard
            raise

    transact_write_items.govbot_keeps_streams = True  # type: ignore[attr-defined]
    return transact_write_items


if not getattr(DynamoDBBackend.transact_write_items, "govbot_keeps_streams", False):
    DynamoDBBackend.transact_write_items = _keeping_streams(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items
    )
