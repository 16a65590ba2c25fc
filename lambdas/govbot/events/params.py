"""Typed request models, one per governed AppStream operation (pure data).

Keys are matched ignoring case and separators (``sharedAccountId``, ``SharedAccountId`` and
``shared_account_id`` all work), booleans may be strings, ARNs may contain spaces. Values
that decide what govbot does (image names, account ids, regions) are validated strictly.
Each model carries a literal ``operation`` so ``OperationParams`` is a discriminated union.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic.alias_generators import to_camel, to_pascal

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


class _Tolerant(BaseModel):
    """Base: frozen, unknown keys ignored, keys matched to fields ignoring case."""

    model_config = ConfigDict(
        defer_build=True,
        frozen=True,
        extra="ignore",
        alias_generator=to_camel,
        populate_by_name=True,
    )

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
        optional = {
            field.alias or name
            for name, field in cls.model_fields.items()
            if not field.is_required()
        }
        rekeyed: dict[str, Any] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                continue
            target = by_canonical.get(canonical_key(key), key)
            if target in optional and isinstance(value, str) and not value.strip():
                continue  # a blank optional text ("ImageDescription": "") is an absent one
            # An exact-case key wins over a differently cased duplicate.
            if target not in rekeyed or key == target:
                rekeyed[target] = value
        return rekeyed


class ImagePermissionsParams(_Tolerant):
    """``imagePermissions`` as sent: either flag may be missing, null or a string."""

    allow_fleet: Flag = None
    allow_image_builder: Flag = None

    def to_permissions(self) -> Permissions:
        """The grant as domain ``Permissions`` (a missing flag grants nothing)."""
        return Permissions(
            allow_fleet=bool(self.allow_fleet),
            allow_image_builder=bool(self.allow_image_builder),
        )


class UpdateImagePermissionsParams(_Tolerant):
    operation: Literal["UpdateImagePermissions"] = "UpdateImagePermissions"
    name: ImageName
    shared_account_id: AccountId
    image_permissions: ImagePermissionsParams


class DeleteImagePermissionsParams(_Tolerant):
    operation: Literal["DeleteImagePermissions"] = "DeleteImagePermissions"
    name: ImageName
    shared_account_id: AccountId


class CopyImageParams(_Tolerant):
    operation: Literal["CopyImage"] = "CopyImage"
    source_image_name: ImageName
    destination_image_name: ImageName
    destination_region: Region
    destination_image_description: Text | None = None


class DeleteImageParams(_Tolerant):
    operation: Literal["DeleteImage"] = "DeleteImage"
    name: ImageName


class CreateUpdatedImageParams(_Tolerant):
    operation: Literal["CreateUpdatedImage"] = "CreateUpdatedImage"
    existing_image_name: ImageName
    new_image_name: ImageName
    new_image_description: Text | None = None
    new_image_display_name: Text | None = None
    new_image_tags: Tags = Field(default_factory=dict)
    dry_run: Flag = None


class CreateImageBuilderParams(_Tolerant):
    """``name`` is the builder's name; the image is ``imageName`` or ``imageArn``."""

    operation: Literal["CreateImageBuilder"] = "CreateImageBuilder"
    name: Text
    image_name: ImageName | None = None
    image_arn: Arn | None = None
    instance_type: Text | None = None
    tags: Tags = Field(default_factory=dict)


class CreateFleetParams(_Tolerant):
    """``name`` is the fleet's name; the image is ``imageName`` or ``imageArn``."""

    operation: Literal["CreateFleet"] = "CreateFleet"
    name: Text
    image_name: ImageName | None = None
    image_arn: Arn | None = None
    instance_type: Text | None = None
    fleet_type: Text | None = None
    tags: Tags = Field(default_factory=dict)


class UpdateFleetParams(_Tolerant):
    """Every member is optional in the API; an image change shows as imageName/imageArn."""

    operation: Literal["UpdateFleet"] = "UpdateFleet"
    name: Text | None = None
    image_name: ImageName | None = None
    image_arn: Arn | None = None
    instance_type: Text | None = None


class TagResourceParams(_Tolerant):
    operation: Literal["TagResource"] = "TagResource"
    resource_arn: Arn
    tags: Tags = Field(default_factory=dict)


class UntagResourceParams(_Tolerant):
    operation: Literal["UntagResource"] = "UntagResource"
    resource_arn: Arn
    tag_keys: StrTuple = ()


class CreateImageServiceDetails(_Tolerant):
    """``serviceEventDetails`` of the CreateImage service event (PascalCase on the wire).

    ``ImageDisPlayName`` (AWS's spelling) matches ``image_display_name`` because keys are
    compared ignoring case. ``image_state`` is PENDING: the event marks a build's start.
    """

    model_config = ConfigDict(defer_build=True, alias_generator=to_pascal)

    operation: Literal["CreateImage"] = Field(default="CreateImage", alias="operation")
    image_name: ImageName
    image_state: Text | None = None
    image_platform: Text | None = None
    image_display_name: Text | None = None
    image_description: Text | None = None
    image_builder_supported: Flag = None
    image_created_time: Annotated[datetime | None, BeforeValidator(to_datetime)] = None
    public_base_image_released_date: Annotated[datetime | None, BeforeValidator(to_datetime)] = None


OperationParams = Annotated[
    UpdateImagePermissionsParams
    | DeleteImagePermissionsParams
    | CopyImageParams
    | DeleteImageParams
    | CreateUpdatedImageParams
    | CreateImageBuilderParams
    | CreateFleetParams
    | UpdateFleetParams
    | TagResourceParams
    | UntagResourceParams
    | CreateImageServiceDetails,
    Field(discriminator="operation"),
]

API_CALL_PARAMS: dict[str, type[_Tolerant]] = {
    model.model_fields["operation"].default: model
    for model in (
        UpdateImagePermissionsParams,
        DeleteImagePermissionsParams,
        CopyImageParams,
        DeleteImageParams,
        CreateUpdatedImageParams,
        CreateImageBuilderParams,
        CreateFleetParams,
        UpdateFleetParams,
        TagResourceParams,
        UntagResourceParams,
    )
}
SERVICE_EVENT_PARAMS: dict[str, type[_Tolerant]] = {"CreateImage": CreateImageServiceDetails}
