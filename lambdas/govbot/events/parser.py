"""``parse_event``: EventBridge envelope of an AppStream CloudTrail record -> typed event.

Pure: no I/O, never raises. Every rejection says which field, what was expected and what
was found, and keeps the original input so the ledger can record it verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from govbot.domain import ACCOUNT_ID_PATTERN, ImageRef
from govbot.events import catalogue
from govbot.events.coerce import bounded_reason, clean_arn, get_key, shorten, to_datetime
from govbot.events.envelope import (
    DETAIL_TYPE_API_CALL,
    DETAIL_TYPE_SERVICE_EVENT,
    EVENT_SOURCE,
    SOURCE,
    consistent_field,
    context_of,
    text_field,
)
from govbot.events.models import EventContext, EventType, IgnoredEvent, ParsedEvent, RejectedEvent
from govbot.events.params import REGION_PATTERN
from govbot.events.safety import MAX_BODY_BYTES, unencodable_paths, unencodable_problem

MAX_ARN_CHARS = 2048  # IAM's own limit on an ARN

# detail-type -> (our event type, CloudTrail eventType)
_KINDS: dict[str, tuple[EventType, str]] = {
    DETAIL_TYPE_API_CALL: ("api_call", catalogue.spec.CLOUDTRAIL_TYPES["api_call"]),
    DETAIL_TYPE_SERVICE_EVENT: ("service_event", catalogue.spec.CLOUDTRAIL_TYPES["service_event"]),
}


def _governed(kind: tuple[EventType, str]) -> dict[str, catalogue.EventSpec[Any]]:
    """The registered specs of ``kind``'s delivery, by event name (read at each event)."""
    return {spec.name: spec for spec in catalogue.event_specs(kind[0])}


class _Reject(Exception):
    """Internal control flow: raised inside the parser, turned into a RejectedEvent."""

    def __init__(self, problems: list[str], context: EventContext | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.context = context or EventContext()


class _Ignore(Exception):
    """Internal control flow: a valid event for an operation govbot does not govern."""

    def __init__(self, reason: str, context: EventContext) -> None:
        super().__init__(reason)
        self.reason = reason
        self.context = context


def parse_event(
    raw: Mapping[str, Any] | str | bytes,
    *,
    governed_accounts: frozenset[str],
    governed_regions: frozenset[str],
    text: str | None = None,
) -> ParsedEvent | RejectedEvent | IgnoredEvent:
    """Validate one EventBridge envelope: a ``ParsedEvent``, ``IgnoredEvent`` or ``RejectedEvent``.

    ``text``: the body as received, when ``raw`` is the mapping a caller already decoded
    from it (kept as the event's raw text; the body is not decoded again).

    Never raises. An empty ``governed_accounts``/``governed_regions`` governs nothing. A
    rejection lists every problem found (``problems``) and a bounded ``reason``; both keep
    the event's name, source, account and region when the input has them.

    Examples
    --------
    >>> parse_event("[]", governed_accounts=frozenset(), governed_regions=frozenset()).reason
    'expected a JSON object (an EventBridge envelope), found list'
    """
    raw_text = text if text is not None else _raw_text(raw)
    try:
        return _parse(raw, raw_text, governed_accounts, governed_regions)
    except _Ignore as ignored:
        return IgnoredEvent(reason=ignored.reason, raw=raw_text, **ignored.context.model_dump())
    except _Reject as rejection:
        return RejectedEvent(
            reason=bounded_reason(rejection.problems),
            problems=tuple(rejection.problems),
            raw=raw_text,
            **rejection.context.model_dump(),
        )
    except Exception as exc:  # the contract is "never raises": record, don't crash the batch
        return RejectedEvent(
            reason=bounded_reason([f"internal parser error ({type(exc).__name__}): {exc}"]),
            raw=raw_text,
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
            raise _Reject([f"input is not valid JSON: {exc}"]) from None
    if not isinstance(data, Mapping):
        raise _Reject(
            [f"expected a JSON object (an EventBridge envelope), found {type(data).__name__}"]
        )
    return data


def _parse(
    raw: object, raw_text: str, accounts: frozenset[str], regions: frozenset[str]
) -> ParsedEvent:
    size = len(raw_text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_BODY_BYTES:
        raise _Reject(
            [
                f"the body is {size} bytes, over EventBridge's {MAX_BODY_BYTES}-byte event "
                "limit: it did not come from an EventBridge rule"
            ]
        )
    envelope = _load(raw)
    found_detail = get_key(envelope, "detail")
    detail: Mapping[str, Any] = found_detail if isinstance(found_detail, Mapping) else {}
    context = context_of(envelope, detail)
    # Every check runs and adds its problem: a rejection lists them all, not the first.
    problems: list[str] = []
    unencodable = unencodable_paths(envelope)
    if unencodable:
        problems.append(unencodable_problem(unencodable))

    source = get_key(envelope, "source")
    if source != SOURCE:
        problems.append(f"envelope field 'source' must be {SOURCE!r}, found {shorten(source)}")
    detail_type = get_key(envelope, "detail-type")
    kind = _KINDS.get(detail_type) if isinstance(detail_type, str) else None
    if kind is None:
        problems.append(
            f"envelope field 'detail-type' must be one of {sorted(_KINDS)}, "
            f"found {shorten(detail_type)}"
        )
    envelope_id = text_field(envelope, "id", "envelope", problems)
    if envelope_id is None:
        problems.append("envelope field 'id' is missing or empty")
    if not isinstance(found_detail, Mapping):
        problems.append(
            f"envelope field 'detail' must be an object, found {type(found_detail).__name__}"
        )
        raise _Reject(problems, context)
    event_id = context.event_id if isinstance(get_key(detail, "eventID"), str) else None
    if event_id is None:
        problems.append("detail.eventID is missing or not a non-empty string")
    event_source = get_key(detail, "eventSource")
    if event_source != EVENT_SOURCE:
        problems.append(
            f"detail.eventSource must be {EVENT_SOURCE!r}, found {shorten(event_source)}"
        )
    found_type = get_key(detail, "eventType")
    if kind is not None and found_type is not None and found_type != kind[1]:
        problems.append(
            f"detail.eventType must be {kind[1]!r} for detail-type {detail_type!r}, "
            f"found {shorten(found_type)}"
        )
    event_name = get_key(detail, "eventName")
    if not isinstance(event_name, str) or not event_name.strip():
        problems.append(f"detail.eventName must be an operation name, found {shorten(event_name)}")
    specs = _governed(kind) if kind is not None else {}
    governed = isinstance(event_name, str) and event_name in specs

    account_id = consistent_field(envelope, detail, "account", "recipientAccountId", problems)
    if account_id is not None:
        if not ACCOUNT_ID_PATTERN.match(account_id):
            problems.append(
                "detail.recipientAccountId must be a 12-digit account id, "
                f"found {shorten(account_id)}"
            )
        elif account_id not in accounts:
            problems.append(
                f"account {account_id} is not governed (governed accounts: "
                f"{', '.join(sorted(accounts)) or 'none'})"
            )
    region = consistent_field(envelope, detail, "region", "awsRegion", problems)
    if region is not None:
        if not REGION_PATTERN.match(region):
            problems.append(
                f"detail.awsRegion must be an AWS region like 'us-east-1', found {shorten(region)}"
            )
        elif region not in regions:
            problems.append(
                f"region {region} is not governed (governed regions: "
                f"{', '.join(sorted(regions)) or 'none'})"
            )

    event_time = None
    try:
        event_time = to_datetime(get_key(detail, "eventTime") or get_key(envelope, "time"))
    except ValueError as exc:
        problems.append(f"detail.eventTime: {exc}")
    else:
        if event_time is None:
            problems.append("detail.eventTime (or envelope 'time') is missing")

    if kind is not None and isinstance(event_name, str) and not governed:
        if not problems:
            raise _Ignore(
                f"{shorten(event_name)} is not an operation govbot governs "
                f"({detail_type}); recorded, nothing to do",
                context,
            )
        problems.insert(
            0,
            f"detail.eventName {shorten(event_name)} is not a governed {detail_type!r} "
            f"operation; governed: {', '.join(sorted(specs))}",
        )
    params = None
    if governed and kind is not None and isinstance(event_name, str):
        container = catalogue.spec.CONTAINERS[kind[0]]
        try:
            params = specs[event_name].params.model_validate(get_key(detail, container))
        except ValidationError as exc:
            problems.extend(_describe(event_name, container, exc))

    identity = get_key(detail, "userIdentity")
    identity = identity if isinstance(identity, Mapping) else {}
    actor_arn = None
    try:
        actor_arn = clean_arn(get_key(identity, "arn"))
    except ValueError as exc:
        problems.append(f"detail.userIdentity.arn: {exc}")
    if actor_arn is not None and len(actor_arn) > MAX_ARN_CHARS:
        problems.append(
            f"detail.userIdentity.arn is {len(actor_arn)} characters long; an ARN has at "
            f"most {MAX_ARN_CHARS}: {shorten(actor_arn)}"
        )
    actor_account = text_field(identity, "accountId", "detail.userIdentity", problems)
    user_agent = text_field(detail, "userAgent", "detail", problems)
    error_code = text_field(detail, "errorCode", "detail", problems)
    error_message = text_field(detail, "errorMessage", "detail", problems)
    if problems:
        raise _Reject(problems, context)
    # No problem means every field below was found valid (the checks above say so).
    if not (kind and params and isinstance(event_name, str) and event_id and envelope_id) or not (
        account_id and region and event_time
    ):
        raise _Reject(["internal parser error: a valid event lacks a field"], context)
    facts = _facts(specs[event_name].facts_of(params), account_id, region)
    return ParsedEvent(
        event_id=event_id,
        envelope_id=envelope_id,
        event_name=event_name,
        event_type=kind[0],
        event_time=event_time,
        region=region,
        account_id=account_id,
        actor_arn=actor_arn,
        actor_account_id=actor_account,
        user_agent=user_agent,
        error_code=error_code,
        error_message=error_message,
        params=params,
        raw=raw_text,
        **facts,
    )


def _describe(event_name: str, container: str, error: ValidationError) -> list[str]:
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
    return [f"{event_name}: {problems[0]}", *problems[1:]] if problems else []


def _image_from_arn(arn: str | None) -> ImageRef | None:
    if arn is None:
        return None
    try:
        return ImageRef.from_arn(arn)
    except ValueError:
        return None  # a fleet, stack or builder ARN: not an image


def _facts(found: catalogue.Facts, account_id: str, region: str) -> dict[str, Any]:
    """``ParsedEvent`` fields from an event's ``Facts``: the image named by ARN (when it is
    an image's) or by name in the event's account and region, and the further fields."""
    facts: dict[str, Any] = dict(found.fields)
    ref = _image_from_arn(found.image_arn)
    if ref is None and found.image_name is not None:
        ref = ImageRef(account_id=account_id, region=region, name=found.image_name)
    if ref is not None:
        facts["image_name"] = ref.name
        facts["image_arn"] = ref.arn
    return facts
