"""moto's ``TransactWriteItems``, all-or-nothing as on AWS, at the cost of the items it touches.

moto (5.2) applies a transaction item by item and, to undo a cancelled one, deep-copies
every table it names *once per item* before starting. A ledger with thousands of records
then pays thousands of item copies per commit: a week of hourly sweeps slowed from 0.06 s
to 2.3 s a sweep. Restoring the copy also swapped in the copy's stream shard, so the
records the applied items had added stayed on the shard readers hold while the table
appended to the copy's: a reader never saw a record again.

Here the same steps run (moto's own condition checks, puts, updates and deletes, the same
cancellation reasons), but the undo is a journal: before each item is applied its previous
version is copied; a cancelled transaction puts those versions back, in reverse order, and
cuts each touched table's live stream shard back to its length before the transaction.
AWS writes and streams nothing for a cancelled transaction; govbot's commits rely on
cancellation (a redelivered event, the announcement guard). Importing this module is enough.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
moto_transact_write_items = DynamoDBBackend.transact_write_items  # kept for comparison tests


class _Journal:
    """What a transaction changed, so a cancelled one can be put back exactly."""

    def __init__(self) -> None:
        self._items: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self._shards: dict[int, tuple[Any, int]] = {}

    def before(self, table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> None:
        """Remember one item's version (and its table's stream length) before it changes."""
        shard = getattr(table, "stream_shard", None)
        if shard is not None and id(shard) not in self._shards:
            self._shards[id(shard)] = (shard, len(shard.items))
        current = table.get_item(hash_key, range_key)
        self._items.append((table, hash_key, range_key, copy.deepcopy(current)))

    def undo(self) -> None:
        """Every item back to its version before the transaction; its stream records gone."""
        for table, hash_key, range_key, previous in reversed(self._items):
            if range_key is not None:
                if previous is None:
                    table.items[hash_key].pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = previous
            elif previous is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = previous  # type: ignore[assignment]
        for shard, length in self._shards.values():
            del shard.items[length:]


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _apply(backend: Any, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    condition = op.get("ConditionExpression")
    table_name = op["TableName"]
    if op_type == "Put":
        backend.put_item(
            table_name,
            op["Item"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Delete":
        backend.delete_item(
            table_name,
            key,
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's TransactWriteItems with a per-item undo journal instead of table copies."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal()
    targets: set[tuple[str, str]] = set()
    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(item) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            key = _key_of(self, op_type, op)
            target = (str(table_name), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)

            current = self.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                condition_op = get_filter_expression(
                    condition,
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                )
                if not condition_op.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if op_type != "ConditionCheck":
                table = self.get_table(table_name)
                journal.before(table, *self.get_keys_value(table, key))
                _apply(self, op_type, op, key)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            journal.undo()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # moto reports any other failure as a cancellation reason
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        journal.undo()
        raise TransactionCanceledException(errors)


transact_write_items.govbot_journaled = True  # type: ignore[attr-defined]

if not getattr(DynamoDBBackend.transact_write_items, "govbot_journaled", False):
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
