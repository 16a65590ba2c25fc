"""moto's DynamoDB sorts, keyed once per item instead of converted at every comparison.

moto (5.2) answers a ``Query`` on an index by sorting the matching items on a tuple of
``DynamoType`` keys, and every ``Query`` and ``Scan`` starts from ``Table.all_items``,
which sorts the whole table by its key the same way; each comparison converts both
values again (``cast_value``), so each call costs n log n conversions over the table.
The ledger grows by a few records per sweep, and a week of hourly sweeps spent most of
its time in these sorts. Here each item's key is converted once and Python compares the
plain values: the same order (key attributes are scalars of one declared type each, and
the sorts stay stable), at the cost of n conversions. Importing this module is enough.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.table import Table

moto_sorted_items = Table.sorted_items  # kept for comparison tests
moto_all_items = Table.all_items


def sorted_items(
    self: Table,
    hash_key_attrs: list[str],
    range_key_attrs: list[str | None],
    items: list[Any],
) -> list[Any]:
    """moto's ``Table.sorted_items`` with each item's sort key computed once."""
    attributes = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
    items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in attributes))
    return items


def all_items(self: Table) -> list[Any]:
    """moto's ``Table.all_items``: every item in table-key order, each key computed once."""
    partitions: Any = self.items  # hash key -> item, or -> range key -> item
    items: list[Any]
    if not self.range_key_attr:
        items = list(partitions.values())
        items.sort(key=lambda item: item.hash_key.cast_value)
        return items
    items = [item for partition in partitions.values() for item in partition.values()]
    items.sort(key=lambda item: (item.hash_key.cast_value, item.range_key.cast_value))
    return items


sorted_items.govbot_keyed = True  # type: ignore[attr-defined]
all_items.govbot_keyed = True  # type: ignore[attr-defined]

if not getattr(Table.sorted_items, "govbot_keyed", False):
    Table.sorted_items = sorted_items  # type: ignore[method-assign]
if not getattr(Table.all_items, "govbot_keyed", False):
    Table.all_items = all_items  # type: ignore[method-assign]
