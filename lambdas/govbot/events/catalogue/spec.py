"""``EventSpec``: everything govbot knows about one AppStream event, and their registry.

One spec per event name says how it is routed (which queues' EventBridge rules name it),
how it is read (its request model and the ``ParsedEvent`` facts drawn from it), what the
enforcer and the replicator do with it, how ``govbot simulate`` changes its world for it
and whether the sandbox emulator emits it. Routing, the parser, the enforcer, the
replicator, the CLI simulation and the emulator tests read the registry; none keeps its
own list of event names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Literal, TypeVar

from govbot.domain import ImageRef, ImageSnapshot
from govbot.events.models import EventType, ParsedEvent
from govbot.events.params import EventParams

# The EventBridge envelope of an AppStream CloudTrail record (one definition for the
# rules, the parser and the emulator).
SOURCE: Final = "aws.appstream"
EVENT_SOURCE: Final = "appstream.amazonaws.com"
API_CALL: Final = "AWS API Call via CloudTrail"
SERVICE_EVENT: Final = "AWS Service Event via CloudTrail"
# detail-type and CloudTrail ``eventType`` of each delivery, and the detail member that
# holds the event's parameters.
DETAIL_TYPES: Final[Mapping[EventType, str]] = {
    "api_call": API_CALL,
    "service_event": SERVICE_EVENT,
}
CLOUDTRAIL_TYPES: Final[Mapping[EventType, str]] = {
    "api_call": "AwsApiCall",
    "service_event": "AwsServiceEvent",
}
CONTAINERS: Final[Mapping[EventType, str]] = {
    "api_call": "requestParameters",
    "service_event": "serviceEventDetails",
}

# What the enforcer does with the event (``govbot.enforcer.logic.Enforcer.handle``):
# evaluate   re-read the image and enforce the policy on it;
# inbound    a fleet or builder now runs the image: judged when another account owns it;
# deleted    the image is gone: its standing findings are resolved;
# record     recorded, nothing evaluated (``record_note`` says why).
EnforcerStep = Literal["evaluate", "inbound", "deleted", "record"]
# What the replicator does with it (None: its queue never receives it):
# replicate  (re)consider the image as a golden source; copied: a copy job may advance;
# deleted    a golden source or a copy is gone.
ReplicatorStep = Literal["replicate", "copied", "deleted"]
# Whether the event made an image (``govbot.replicator.conflicts``): ``itself`` = the
# event's image is the one made; ``copy`` = made in the destination named by the request.
MakesImage = Literal["itself", "copy"]

# ParsedEvent fields a spec's facts may set (the rest come from the envelope).
_FACT_FIELDS: Final = frozenset(ParsedEvent.model_fields) - {
    "event_id", "envelope_id", "event_name", "event_type", "event_time", "region",
    "account_id", "actor_arn", "actor_account_id", "user_agent", "error_code",
    "error_message", "image_name", "image_arn", "params", "raw",
}  # fmt: skip
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{1,127}$")
P = TypeVar("P", bound=EventParams)


@dataclass(frozen=True)
class Facts:
    """What an event says about the image it concerns, from its typed parameters.

    ``image_arn`` (when it names an image) wins over ``image_name``, which is taken in the
    event's own account and region. ``fields`` are further ``ParsedEvent`` fields.
    """

    image_name: str | None = None
    image_arn: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.fields) - _FACT_FIELDS
        if unknown:
            raise TypeError(f"facts name no ParsedEvent field: {sorted(unknown)}")


@dataclass(frozen=True)
class WorldChange:
    """How a call changed the image it concerns (``govbot simulate``'s world).

    ``image`` None: the image was deleted. ``made``: images the call started making
    elsewhere (a copy), added as PENDING unless already there.
    """

    image: ImageSnapshot | None
    made: tuple[ImageRef, ...] = ()


WorldEffect = Callable[[ImageSnapshot, ParsedEvent], WorldChange]


def no_record_note(event: ParsedEvent) -> str:
    """The note of a recorded-only event whose spec gives none."""
    return "recorded; no image to evaluate"


@dataclass(frozen=True)
class EventSpec(Generic[P]):
    """One AppStream event govbot governs.

    name:        CloudTrail ``eventName`` (the AppStream operation).
    delivery:    ``api_call`` (a person's or a service's call) or ``service_event``
                 (AppStream acting on its own).
    params:      the model of ``requestParameters`` / ``serviceEventDetails``; its
                 ``operation`` literal is ``name``.
    facts:       the ``ParsedEvent`` facts drawn from the validated params.
    enforcer:    what the enforcer does with it (``EnforcerStep``); every governed event
                 reaches the enforcer queue.
    record_note: the ledger note when the enforcer only records it.
    replicator:  what the replicator does with it; None keeps it off the replicator queue.
    makes_image: whether (and where) the event made an image.
    world:       how ``govbot simulate`` changes its world (None: nothing changes).
    implies_image: ``govbot simulate`` adds the event's image when its world lacks it.
    emulated:    the sandbox emulator implements the call and emits this event for it.
    """

    name: str
    delivery: EventType
    params: type[P]
    facts: Callable[[P], Facts]
    enforcer: EnforcerStep = "record"
    record_note: Callable[[ParsedEvent], str] = no_record_note
    replicator: ReplicatorStep | None = None
    makes_image: MakesImage | None = None
    world: WorldEffect | None = None
    implies_image: bool = False
    emulated: bool = True

    def facts_of(self, params: EventParams) -> Facts:
        """``facts`` of ``params`` (checked to be this spec's model)."""
        if not isinstance(params, self.params):
            raise TypeError(f"{self.name}: expected {self.params.__name__} params")
        return self.facts(params)


class EventRegistryError(TypeError):
    """A spec that cannot be registered (names the event and what is wrong)."""


_SPECS: dict[str, EventSpec[Any]] = {}


def register_event(spec: EventSpec[P]) -> EventSpec[P]:
    """Make ``spec`` an event govbot governs; returns it (``SPEC = register_event(...)``).

    Raises ``EventRegistryError`` for a malformed name, a params model whose
    ``operation`` literal is not the name, or a name another spec already holds.
    """
    if not _NAME.match(spec.name):
        raise EventRegistryError(f"event name {spec.name!r} is not an AppStream operation name")
    operation = spec.params.model_fields.get("operation")
    if operation is None or operation.default != spec.name:
        raise EventRegistryError(
            f"{spec.name}: params model {spec.params.__name__} must declare "
            f'`operation: Literal["{spec.name}"] = "{spec.name}"`'
        )
    known = _SPECS.get(spec.name)
    if known is not None and known != spec:
        raise EventRegistryError(
            f"event {spec.name!r} is already registered (params {known.params.__name__})"
        )
    _SPECS[spec.name] = spec
    return spec


def unregister_event(name: str) -> None:
    """Forget event ``name`` (tests and plugins that register temporarily)."""
    _SPECS.pop(name, None)


def event_spec(name: str) -> EventSpec[Any] | None:
    """The spec registered for ``name``, or None (not governed)."""
    return _SPECS.get(name)


def event_specs(delivery: EventType | None = None) -> tuple[EventSpec[Any], ...]:
    """Registered specs in registration order, optionally of one delivery only."""
    return tuple(s for s in _SPECS.values() if delivery is None or s.delivery == delivery)


def event_names(delivery: EventType | None = None) -> tuple[str, ...]:
    """Registered event names in registration order, optionally of one delivery only."""
    return tuple(s.name for s in event_specs(delivery))
