"""The common contract of every ledger record: keys, index attributes, time, item codec.

A record is a frozen pydantic model. It knows its own ``pk``/``sk``, its ``kind``, the
instant it is about (``ts``), which sparse index attributes it carries and which fields are
stored as JSON strings. Turning it into a plain item (and back) is pure.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator

from govbot.ledger.keys import day_of, expiry_epoch, format_ts

# Attributes the table itself owns: never model fields, always rebuilt from the record.
STRUCTURAL_ATTRIBUTES: frozenset[str] = frozenset(
    {"pk", "sk", "kind", "ts", "day", "expires_at", "status_key"}
)


class LedgerRecord(BaseModel):
    """Base of every item family stored in the ledger table."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    kind: ClassVar[str]
    # Fields holding free-form dicts, stored as JSON text (no float/Decimal trouble).
    json_fields: ClassVar[frozenset[str]] = frozenset()
    # Model field -> item attribute, where the item name must differ (e.g. a TTL clash).
    attribute_renames: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _keys_are_buildable(self) -> Self:
        # Fail at construction (naming the field), not later inside a transaction.
        self.keys()
        return self

    # -- to be provided by each family -------------------------------------------------
    def keys(self) -> tuple[str, str]:
        """``(pk, sk)`` of this record."""
        raise NotImplementedError

    def timestamp(self) -> datetime | None:
        """The instant the record is about (its ``ts``); None until the ledger stamps it."""
        raise NotImplementedError

    def stamped(self, now: datetime) -> Self:
        """A copy whose unset time fields are filled with ``now`` (the ledger's clock)."""
        raise NotImplementedError

    def index_attributes(self) -> dict[str, str]:
        """Sparse GSI keys this item carries (``image_arn``, ``shared_account_id``, ...)."""
        return {}

    def ttl_anchor(self) -> datetime | None:
        """When the record's life ends; the TTL is this plus retention. None: never expires."""
        return self.timestamp()

    # -- pure codec --------------------------------------------------------------------
    def to_item(self, *, retention_days: int) -> dict[str, Any]:
        """The plain (not yet DynamoDB-typed) item: fields, keys and index attributes.

        ``None`` fields are left out so the GSIs stay sparse (a GSI key cannot be NULL).
        """
        ts = self.timestamp()
        if ts is None:
            raise ValueError(f"{type(self).__name__} has no timestamp yet; stamp it first")
        item: dict[str, Any] = {}
        for name, value in self.model_dump(mode="python").items():
            if value is None:
                continue
            if name in self.json_fields:
                value = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
            item[self.attribute_renames.get(name, name)] = to_plain(value)
        for name, value in self.index_attributes().items():
            if value:  # an empty string cannot be a GSI key either
                item[name] = value
        pk, sk = self.keys()
        item.update(pk=pk, sk=sk, kind=self.kind, ts=format_ts(ts), day=day_of(ts))
        anchor = self.ttl_anchor()
        if anchor is not None:
            item["expires_at"] = expiry_epoch(anchor, retention_days)
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        """Rebuild the record from a plain item (as read back and deserialised)."""
        if item.get("kind") != cls.kind:
            raise ValueError(
                f"item {item.get('pk')!r} is kind {item.get('kind')!r}, not {cls.kind!r}"
            )
        reverse = {stored: field for field, stored in cls.attribute_renames.items()}
        data: dict[str, Any] = {}
        for name, value in item.items():
            field = reverse.get(name, name)
            if name in STRUCTURAL_ATTRIBUTES or field not in cls.model_fields:
                continue
            if field in cls.json_fields and isinstance(value, str):
                value = json.loads(value)
            data[field] = from_plain(value)
        return cls.model_validate(data)


def to_plain(value: Any) -> Any:
    """Make a dumped value storable: datetimes to ``ts`` text, floats to Decimal, tuples to
    lists."""
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def from_plain(value: Any) -> Any:
    """Undo the deserialiser's Decimals (integral ones become ints) recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    return value
