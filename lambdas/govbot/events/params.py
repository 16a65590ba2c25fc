"""The base of the typed request models and the field types they share (pure data).

Each governed operation's model lives with its ``EventSpec`` (``govbot.events.catalogue``).
Keys are matched ignoring case and separators (``sharedAccountId``, ``SharedAccountId`` and
``shared_account_id`` all work), booleans may be strings, ARNs may contain spaces. Values
that decide what govbot does (image names, account ids, regions) are validated strictly.
Each model carries a literal ``operation``: the event name it parses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    model_validator,
)
from pydantic.alias_generators import to_camel

from govbot.domain import ACCOUNT_ID_PATTERN, IMAGE_NAME_PATTERN, Permissions
from govbot.events.coerce import (
    canonical_key,
    clean_arn,
    clean_str,
    shorten,
    to_bool,
    to_datetime,
    to_str_tuple,
    to_tags,
)

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def _image_name(value: str) -> str:
    if not IMAGE_NAME_PATTERN.match(value):
        raise ValueError(
            f"expected an image name matching {IMAGE_NAME_PATTERN.pattern}, found {shorten(value)}"
        )
    return value


def _account_id(value: str) -> str:
    if not ACCOUNT_ID_PATTERN.match(value):
        raise ValueError(f"expected a 12-digit AWS account id, found {shorten(value)}")
    return value


def _region(value: str) -> str:
    if not REGION_PATTERN.match(value):
        raise ValueError(f"expected an AWS region such as 'us-east-1', found {shorten(value)}")
    return value


def _arn(value: str) -> str:
    if not value.startswith("arn:"):
        raise ValueError(f"expected an ARN starting with 'arn:', found {shorten(value)}")
    return value


Text = Annotated[str, BeforeValidator(clean_str)]
ImageName = Annotated[str, BeforeValidator(clean_str), AfterValidator(_image_name)]
AccountId = Annotated[str, BeforeValidator(clean_str), AfterValidator(_account_id)]
Region = Annotated[str, BeforeValidator(clean_str), AfterValidator(_region)]
Arn = Annotated[str, BeforeValidator(clean_arn), AfterValidator(_arn)]
Flag = Annotated[bool | None, BeforeValidator(to_bool)]
Tags = Annotated[dict[str, str], BeforeValidator(to_tags)]
StrTuple = Annotated[tuple[str, ...], BeforeValidator(to_str_tuple)]
Timestamp = Annotated[datetime | None, BeforeValidator(to_datetime)]


class EventParams(BaseModel):
    """Base of every operation's request model: frozen, unknown keys ignored, keys matched
    to fields ignoring case. Each subclass declares ``operation: Literal["<eventName>"]``."""

    model_config = ConfigDict(
        defer_build=True,
        frozen=True,
        extra="ignore",
        alias_generator=to_camel,
        populate_by_name=True,
    )

    if TYPE_CHECKING:
        # Every subclass declares it as a ``Literal`` field: the event name it parses.
        operation: str

    @model_validator(mode="before")
    @classmethod
    def _rekey(cls, data: Any) -> Any:
        # requestParameters may be null on the wire: validate as empty so "missing" errors
        # name the required fields instead of complaining about the container.
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            return data
        by_canonical = {
            canonical_key(field.alias or name): field.alias or name
            for name, field in cls.model_fields.items()
        }
        rekeyed: dict[str, Any] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                continue
            target = by_canonical.get(canonical_key(key), key)
            # An exact-case key wins over a differently cased duplicate.
            if target not in rekeyed or key == target:
                rekeyed[target] = value
        return rekeyed

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        operation = cls.model_fields.get("operation")
        if operation is not None and isinstance(operation.default, str):
            _BY_OPERATION[operation.default] = cls


# operation -> its params model: how a ``ParsedEvent`` read back from JSON finds the
# model of its ``params`` (the catalogue, not this index, decides what is governed).
_BY_OPERATION: dict[str, type[EventParams]] = {}


def params_of_operation(value: Any) -> Any:
    """Validator: a mapping naming an ``operation`` becomes that operation's params model."""
    if isinstance(value, Mapping) and isinstance(value.get("operation"), str):
        model = _BY_OPERATION.get(value["operation"])
        if model is None:
            raise ValueError(f"no params model for operation {shorten(value['operation'])}")
        return model.model_validate(value)
    return value


class ImagePermissionsParams(EventParams):
    """``imagePermissions`` as sent: either flag may be missing, null or a string."""

    allow_fleet: Flag = None
    allow_image_builder: Flag = None

    def to_permissions(self) -> Permissions:
        """The grant as domain ``Permissions`` (a missing flag grants nothing)."""
        return Permissions(
            allow_fleet=bool(self.allow_fleet),
            allow_image_builder=bool(self.allow_image_builder),
        )
