"""``parse_event``: EventBridge envelope of an AppStream CloudTrail record -> typed event.

Pure: no I/O, never raises. Every rejection says which field, what was expected and what
was found, and keeps the original input so the ledger can record it verbatim.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from govbot import routing
from govbot.domain import ACCOUNT_ID_PATTERN, ImageRef
from govbot.events.coerce import clean_arn, get_key, to_datetime
from govbot.events.models import EventType, ParsedEvent, RejectedEvent
from govbot.events.params import (
    API_CALL_PARAMS,
    REGION_PATTERN,
    SERVICE_EVENT_PARAMS,
    CopyImageParams,
    CreateFleetParams,
    CreateImageBuilderParams,
    CreateImageServiceDetails,
    CreateUpdatedImageParams,
    DeleteImageParams,
    DeleteImagePermissionsParams,
    TagResourceParams,
    UntagResourceParams,
    UpdateFleetParams,
    UpdateImagePermissionsParams,
    _Tolerant,
)

# The routing constants are defined once (govbot.routing) for the rules and the parser.
SOURCE = routing.SOURCE
EVENT_SOURCE = routing.EVENT_SOURCE
DETAIL_TYPE_API_CALL = routing.API_CALL
DETAIL_TYPE_SERVICE_EVENT = routing.SERVICE_EVENT
GOVERNED_API_CALLS: frozenset[str] = frozenset(routing.GOVERNED_API_CALLS)
GOVERNED_SERVICE_EVENTS: frozenset[str] = frozenset(routing.GOVERNED_SERVICE_EVENTS)
# Every routed event needs a params model, and every model a route: checked at import so
# the deployed rules and the parser can never disagree about what is governed.
if set(API_CALL_PARAMS) != GOVERNED_API_CALLS or set(SERVICE_EVENT_PARAMS) != (
    GOVERNED_SERVICE_EVENTS
):
    raise ImportError(
        "govbot.events params models and govbot.routing disagree on the governed events: "
        f"{sorted(set(API_CALL_PARAMS) ^ GOVERNED_API_CALLS)}"
        f"{sorted(set(SERVICE_EVENT_PARAMS) ^ GOVERNED_SERVICE_EVENTS)}"
    )

# detail-type -> (our event type, CloudTrail eventType, governed names, params models)
_KINDS: dict[str, tuple[EventType, str, dict[str, type[_Tolerant]]]] = {
    DETAIL_TYPE_API_CALL: ("api_call", "AwsApiCall", API_CALL_PARAMS),
    DETAIL_TYPE_SERVICE_EVENT: ("service_event", "AwsServiceEvent", SERVICE_EVENT_PARAMS),
}


class _Reject(Exception):
    """Internal control flow: raised inside the parser, turned into a RejectedEvent."""

    def __init__(self, reason: str, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


def envelope_for(record: Mapping[str, Any], *, envelope_id: str | None = None) -> dict[str, Any]:
    """Wrap a CloudTrail record the way EventBridge delivers it (for sandbox, tests, replay)."""
    service_event = record.get("eventType") == "AwsServiceEvent"
    return {
        "version": "0",
        "id": envelope_id or str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE_SERVICE_EVENT if service_event else DETAIL_TYPE_API_CALL,
        "source": SOURCE,
        "account": record.get("recipientAccountId"),
        "time": record.get("eventTime"),
        "region": record.get("awsRegion"),
        "resources": [],
        "detail": dict(record),
    }


def parse_event(
    raw: Mapping[str, Any] | str | bytes,
    *,
    governed_accounts: frozenset[str],
    governed_regions: frozenset[str],
) -> ParsedEvent | RejectedEvent:
    """Validate one EventBridge envelope; return a ``ParsedEvent`` or a ``RejectedEvent``.

    Never raises. An empty ``governed_accounts``/``governed_regions`` governs nothing.

    Examples
    --------
    >>> parse_event("[]", governed_accounts=frozenset(), governed_regions=frozenset()).reason
    'expected a JSON object (an EventBridge envelope), found list'
    """
    raw_text = _raw_text(raw)
    try:
        return _parse(raw, raw_text, governed_accounts, governed_regions)
    except _Reject as rejection:
        return RejectedEvent(reason=rejection.reason, raw=raw_text, event_id=rejection.event_id)
    except Exception as exc:  # the contract is "never raises": record, don't crash the batch
        return RejectedEvent(
            reason=f"internal parser error ({type(exc).__name__}): {exc}", raw=raw_text
        )


def _raw_text(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bytes | bytearray):
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return repr(bytes(raw))
    try:
        return json.dumps(raw, default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(raw)


def _load(raw: object) -> Mapping[str, Any]:
    data: object = raw
    if isinstance(raw, str | bytes | bytearray):
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise _Reject(f"input is not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise _Reject(
            f"expected a JSON object (an EventBridge envelope), found {type(data).__name__}"
        )
    return data


def _text_field(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = get_key(data, key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Reject(f"{where}.{key} must be a string, found {type(value).__name__}")
    return value.strip() or None


def _parse(
    raw: object, raw_text: str, accounts: frozenset[str], regions: frozenset[str]
) -> ParsedEvent:
    envelope = _load(raw)
    detail = get_key(envelope, "detail")
    event_id = None
    if isinstance(detail, Mapping):
        found = get_key(detail, "eventID")
        event_id = found.strip() or None if isinstance(found, str) else None

    def reject(reason: str) -> _Reject:
        return _Reject(reason, event_id)

    source = get_key(envelope, "source")
    if source != SOURCE:
        raise reject(f"envelope field 'source' must be {SOURCE!r}, found {source!r}")
    detail_type = get_key(envelope, "detail-type")
    if not isinstance(detail_type, str) or detail_type not in _KINDS:
        raise reject(
            f"envelope field 'detail-type' must be one of {sorted(_KINDS)}, found {detail_type!r}"
        )
    event_type, trail_type, models = _KINDS[detail_type]
    envelope_id = _text_field(envelope, "id", "envelope")
    if envelope_id is None:
        raise reject("envelope field 'id' is missing or empty")
    if not isinstance(detail, Mapping):
        raise reject(f"envelope field 'detail' must be an object, found {type(detail).__name__}")
    if event_id is None:
        raise reject("detail.eventID is missing or not a non-empty string")
    event_source = get_key(detail, "eventSource")
    if event_source != EVENT_SOURCE:
        raise reject(f"detail.eventSource must be {EVENT_SOURCE!r}, found {event_source!r}")
    found_type = get_key(detail, "eventType")
    if found_type is not None and found_type != trail_type:
        raise reject(
            f"detail.eventType must be {trail_type!r} for detail-type {detail_type!r}, "
            f"found {found_type!r}"
        )
    event_name = get_key(detail, "eventName")
    if not isinstance(event_name, str) or event_name not in models:
        raise reject(
            f"detail.eventName {event_name!r} is not a governed {detail_type!r} operation; "
            f"governed: {', '.join(sorted(models))}"
        )

    account_id = _consistent(envelope, detail, "account", "recipientAccountId", reject)
    if not ACCOUNT_ID_PATTERN.match(account_id):
        raise reject(
            f"detail.recipientAccountId must be a 12-digit account id, found {account_id!r}"
        )
    if account_id not in accounts:
        raise reject(
            f"account {account_id} is not governed (governed accounts: "
            f"{', '.join(sorted(accounts)) or 'none'})"
        )
    region = _consistent(envelope, detail, "region", "awsRegion", reject)
    if not REGION_PATTERN.match(region):
        raise reject(f"detail.awsRegion must be an AWS region like 'us-east-1', found {region!r}")
    if region not in regions:
        raise reject(
            f"region {region} is not governed (governed regions: "
            f"{', '.join(sorted(regions)) or 'none'})"
        )

    try:
        event_time = to_datetime(get_key(detail, "eventTime") or get_key(envelope, "time"))
    except ValueError as exc:
        raise reject(f"detail.eventTime: {exc}") from None
    if event_time is None:
        raise reject("detail.eventTime (or envelope 'time') is missing")

    container = "requestParameters" if event_type == "api_call" else "serviceEventDetails"
    try:
        params = models[event_name].model_validate(get_key(detail, container))
    except ValidationError as exc:
        raise reject(_describe(event_name, container, exc)) from None

    identity = get_key(detail, "userIdentity")
    identity = identity if isinstance(identity, Mapping) else {}
    try:
        actor_arn = clean_arn(get_key(identity, "arn"))
    except ValueError as exc:
        raise reject(f"detail.userIdentity.arn: {exc}") from None
    facts = _facts(params, account_id, region)
    return ParsedEvent(
        event_id=event_id,
        envelope_id=envelope_id,
        event_name=event_name,
        event_type=event_type,
        event_time=event_time,
        region=region,
        account_id=account_id,
        actor_arn=actor_arn,
        actor_account_id=_text_field(identity, "accountId", "detail.userIdentity"),
        user_agent=_text_field(detail, "userAgent", "detail"),
        error_code=_text_field(detail, "errorCode", "detail"),
        error_message=_text_field(detail, "errorMessage", "detail"),
        params=params,
        raw=raw_text,
        **facts,
    )


def _consistent(
    envelope: Mapping[str, Any], detail: Mapping[str, Any], env_key: str, key: str, reject: Any
) -> str:
    """The detail's value, cross-checked against the envelope's (a mismatch is suspicious)."""
    inner = get_key(detail, key)
    outer = get_key(envelope, env_key)
    for where, value in ((f"detail.{key}", inner), (f"envelope field {env_key!r}", outer)):
        if value is not None and not isinstance(value, str):
            raise reject(f"{where} must be a string, found {type(value).__name__}")
    inner = inner.strip() if isinstance(inner, str) else None
    outer = outer.strip() if isinstance(outer, str) else None
    if inner and outer and inner != outer:
        raise reject(f"detail.{key} {inner!r} does not match envelope field {env_key!r} {outer!r}")
    value = inner or outer
    if not value:
        raise reject(f"detail.{key} (or envelope field {env_key!r}) is missing")
    return value


def _describe(event_name: str, container: str, error: ValidationError) -> str:
    """One sentence per invalid field: which field, what was expected, what was found."""
    problems = []
    for item in error.errors():
        path = ".".join([container, *(str(part) for part in item["loc"])])
        if item["type"] == "missing":
            problems.append(f"{path} is required but missing")
        elif item["type"] in ("model_type", "model_attributes_type", "dict_type"):
            problems.append(f"{path} must be an object, found {type(item.get('input')).__name__}")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{path}: {message}")
    return f"{event_name}: " + "; ".join(problems)


def _image_from_arn(arn: str | None) -> ImageRef | None:
    if arn is None:
        return None
    try:
        return ImageRef.from_arn(arn)
    except ValueError:
        return None  # a fleet, stack or builder ARN: not an image


def _facts(params: _Tolerant, account_id: str, region: str) -> dict[str, Any]:
    """Operation-specific fields of ``ParsedEvent`` derived from the typed params."""
    name: str | None = None
    ref: ImageRef | None = None
    facts: dict[str, Any] = {}
    match params:
        case UpdateImagePermissionsParams():
            name = params.name
            facts["shared_account_id"] = params.shared_account_id
            facts["permissions"] = params.image_permissions.to_permissions()
        case DeleteImagePermissionsParams():
            name = params.name
            facts["shared_account_id"] = params.shared_account_id
        case CopyImageParams():
            name = facts["source_image_name"] = params.source_image_name
            facts["destination_region"] = params.destination_region
            facts["destination_image_name"] = params.destination_image_name
        case DeleteImageParams():
            name = params.name
        case CreateUpdatedImageParams():
            name = params.new_image_name
            facts["source_image_name"] = params.existing_image_name
            facts["tags"] = params.new_image_tags
        case CreateImageBuilderParams() | CreateFleetParams() | UpdateFleetParams():
            ref = _image_from_arn(params.image_arn)
            name = None if ref else params.image_name
        case TagResourceParams():
            ref = _image_from_arn(params.resource_arn)
            facts["tags"] = params.tags
        case UntagResourceParams():
            ref = _image_from_arn(params.resource_arn)
            facts["tag_keys"] = params.tag_keys
        case CreateImageServiceDetails():
            name = params.image_name
            facts["image_state"] = params.image_state
    if ref is None and name is not None:
        ref = ImageRef(account_id=account_id, region=region, name=name)
    if ref is not None:
        facts["image_name"] = ref.name
        facts["image_arn"] = ref.arn
    return facts
