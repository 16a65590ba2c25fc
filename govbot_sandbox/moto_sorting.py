"""moto's index queries, sorted once per item instead of once per comparison.

moto (5.2) answers a ``Query`` on an index by sorting the matching items on a tuple of
``DynamoType`` keys; each comparison converts both values again (``cast_value``), so a
query over a partition of n records costs n log n conversions. The ledger's status and
sweep partitions grow by a few records per sweep, and a week of hourly sweeps spent most
of its time in that sort. Here each item's key is converted once and Python compares the
plain values: the same order (key attributes are scalars of one declared type each, and
the sort stays stable), at the cost of n conversions. Importing this module is enough.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.table import Table

moto_sorted_items = Table.sorted_items  # kept for comparison tests


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


sorted_items.govbot_keyed = True  # type: ignore[attr-defined]

if not getattr(Table.sorted_items, "govbot_keyed", False):
    Table.sorted_items = sorted_items  # type: ignore[method-assign]
