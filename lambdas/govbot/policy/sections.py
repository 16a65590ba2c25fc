"""Policy sections other than rules: trust, golden images, replication, notifications."""

from __future__ import annotations

import string
from typing import Annotated, Any, Final

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from govbot.domain import IMAGE_NAME_PATTERN, MessageKind
from govbot.policy.primitives import (
    AccountId,
    Identifier,
    NamePrefix,
    NonEmptyText,
    Region,
    Severity,
    StrictModel,
    severity_at_least,
)
from govbot.policy.selectors import ImageSelector


class TrustedAccount(StrictModel):
    """An account trusted with image-builder permission (``name`` is a label for humans)."""

    id: AccountId
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_bare_id(cls, data: Any) -> Any:
        # `- "111111111111"` is shorthand for `- {id: "111111111111"}`.
        return {"id": data} if isinstance(data, str) else data


class OrganizationTrust(StrictModel):
    """Trust every member account of the AWS Organization (looked up by a gateway)."""

    trust_member_accounts: bool = False
    cache_seconds: int = Field(default=3600, ge=0)


class Retention(StrictModel):
    """How many images of a golden family to keep in each destination."""

    keep: int = Field(ge=1)


class GoldenRule(StrictModel):
    """Images to replicate to other regions.

    Sources are pinned: only images in ``source_region`` (and, when given, in
    ``source_account``) are golden sources; an image elsewhere, a person's copy in a
    destination region included, is never copied on. ``family`` is a name prefix: an
    image whose name starts with it belongs to the family and a newer image of the family
    supersedes an older one. With a family, an image must match both the selector and the
    prefix.
    """

    id: Identifier
    description: str | None = None
    images: ImageSelector
    source_region: Region
    source_account: AccountId | None = None
    destinations: tuple[Region, ...] = Field(min_length=1)
    family: NamePrefix | None = None
    retention: Retention | None = None

    @model_validator(mode="after")
    def _source_is_not_a_destination(self) -> GoldenRule:
        if self.source_region in self.destinations:
            raise ValueError(
                f"source_region {self.source_region} is also listed in destinations; "
                "a golden source's own region is never a destination"
            )
        return self

    def is_source_place(self, account_id: str, region: str) -> bool:
        """True when an image in ``account_id``/``region`` may be a source of this rule."""
        return region == self.source_region and (
            self.source_account is None or account_id == self.source_account
        )

    @field_validator("destinations")
    @classmethod
    def _unique_destinations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        duplicates = sorted({region for region in value if value.count(region) > 1})
        if duplicates:
            raise ValueError(f"region {duplicates[0]!r} is listed more than once")
        return value

    def selects(self, name: str, tags: dict[str, str]) -> bool:
        """True when the image (name, tags) is golden under this rule."""
        if self.family is not None and not name.startswith(self.family):
            return False
        return self.images.matches(name, tags)


TEMPLATE_FIELDS: Final = frozenset({"name", "source_region", "region"})


class Replication(StrictModel):
    """How golden images are copied.

    ``destination_name_template`` may use ``{name}``, ``{source_region}`` and ``{region}``
    (the destination region); the result must be a valid AppStream image name.
    """

    max_concurrent_copies_per_region: int = Field(default=2, ge=1)
    max_attempts: int = Field(default=3, ge=1)
    backoff_seconds: int = Field(default=300, ge=0)
    destination_name_template: str = "{name}"

    @field_validator("destination_name_template")
    @classmethod
    def _check_template(cls, value: str) -> str:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            raise ValueError(f"malformed template {value!r}: {exc}") from None
        unknown = sorted(fields - TEMPLATE_FIELDS)
        if unknown:
            allowed = ", ".join("{" + f + "}" for f in sorted(TEMPLATE_FIELDS))
            raise ValueError(f"unknown placeholder {{{unknown[0]}}}; allowed: {allowed}")
        sample = value.format(name="image-1", source_region="us-east-1", region="eu-west-1")
        if not IMAGE_NAME_PATTERN.match(sample):
            raise ValueError(f"template {value!r} does not produce a valid image name")
        return value

    def destination_name(self, name: str, source_region: str, region: str) -> str:
        """The name of the copy of image ``name`` in ``region``."""
        return self.destination_name_template.format(
            name=name, source_region=source_region, region=region
        )


def _registered_kind(kind: str) -> str:
    # The registry of message kinds (govbot.kinds), read when a route names a kind; the
    # error has a literal's shape so the loader lists the kinds with did-you-mean.
    from govbot.kinds import kind_names

    known = kind_names()
    if kind not in known:
        expected = ", ".join(repr(k) for k in known[:-1]) + f" or {known[-1]!r}"
        raise PydanticCustomError(
            "literal_error", "Input should be {expected}", {"expected": expected}
        )
    return kind


RegisteredKind = Annotated[MessageKind, AfterValidator(_registered_kind)]


class Route(StrictModel):
    """Where Slack messages go: ``webhook`` is a key of the Slack webhooks secret."""

    name: Identifier
    kinds: tuple[RegisteredKind, ...] = ()  # empty: every kind
    min_severity: Severity = "info"
    webhook: NonEmptyText

    def accepts(self, kind: str, severity: Severity) -> bool:
        """True when a message of this kind and severity goes to this route."""
        return (not self.kinds or kind in self.kinds) and severity_at_least(
            severity, self.min_severity
        )


class Storm(StrictModel):
    """Storm control: at most ``max_messages`` per route per ``window_seconds``."""

    max_messages: int = Field(default=20, ge=1)
    window_seconds: int = Field(default=60, ge=1)


DEFAULT_ROUTE: Final = Route(name="default", webhook="default")


class Notifications(StrictModel):
    """Slack routing. Without ``routes`` everything goes to the route named ``default``."""

    routes: tuple[Route, ...] = (DEFAULT_ROUTE,)
    storm: Storm = Storm()
    # A standing finding is announced once; this is how often the drift sweep recalls the
    # ones still standing in one reminder digest (0: never).
    reminder_interval_hours: int = Field(default=24, ge=0)

    def routes_for(self, kind: str, severity: Severity) -> tuple[Route, ...]:
        """The routes a message of this kind and severity is delivered to."""
        return tuple(route for route in self.routes if route.accepts(kind, severity))
