"""The two outcomes of event intake: a typed ``ParsedEvent`` or a ``RejectedEvent``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SerializeAsAny

from govbot.domain import ImageRef, Permissions
from govbot.events.params import EventParams, params_of_operation

EventType = Literal["api_call", "service_event"]


class ParsedEvent(BaseModel):
    """A governed AppStream CloudTrail event, validated and flattened.

    ``account_id``/``region`` are where the call happened (the image owner for image
    operations). ``image_name``/``image_arn`` name the image the event concerns, if any:
    for CopyImage the source, for CreateUpdatedImage the new image, for fleets and
    builders the image they use, for Tag/UntagResource the image in ``resourceArn``.
    """

    model_config = ConfigDict(defer_build=True, frozen=True)

    event_id: str
    envelope_id: str
    event_name: str
    event_type: EventType
    event_time: datetime
    region: str
    account_id: str
    actor_arn: str | None = None
    actor_account_id: str | None = None
    user_agent: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    image_name: str | None = None
    image_arn: str | None = None
    source_image_name: str | None = None
    shared_account_id: str | None = None
    permissions: Permissions | None = None
    destination_region: str | None = None
    destination_image_name: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    tag_keys: tuple[str, ...] = ()
    image_state: str | None = None
    # The operation's own model (its EventSpec's params); None only for govbot work requests.
    params: Annotated[SerializeAsAny[EventParams] | None, BeforeValidator(params_of_operation)] = (
        None
    )
    raw: str

    @property
    def failed(self) -> bool:
        """True when AWS refused the call (``errorCode`` set): nothing changed."""
        return self.error_code is not None

    @property
    def image_ref(self) -> ImageRef | None:
        """The concerned image as an ``ImageRef`` (None when the event names no image)."""
        if self.image_arn is None:
            return None
        return ImageRef.from_arn(self.image_arn)


class EventContext(BaseModel):
    """What is known of an event govbot did not act on (each field only when present)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    event_id: str | None = None
    event_name: str | None = None
    event_source: str | None = None
    account_id: str | None = None
    region: str | None = None


class RejectedEvent(EventContext):
    """An input govbot will not act on, with the specific reason and the input kept.

    ``problems`` lists every problem found; ``reason`` joins them within a few hundred
    characters (long values shortened in the middle, so none is pushed out).
    """

    reason: str
    raw: str
    problems: tuple[str, ...] = ()


class IgnoredEvent(EventContext):
    """A valid AppStream CloudTrail event for an operation govbot does not govern."""

    reason: str
    raw: str
