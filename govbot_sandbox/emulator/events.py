"""CloudTrail records as EventBridge delivers them, for the emulator's event sink.

API calls (failed ones too, with ``errorCode``; read-only ones with ``readOnly: true``)
become ``AWS API Call via CloudTrail`` envelopes with lowerCamel ``requestParameters``; a
builder's image creation becomes the ``AWS Service Event via CloudTrail`` record shaped like
AWS's published sample.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape

from govbot.events.catalogue import API_CALL, EVENT_SOURCE, SERVICE_EVENT
from govbot_sandbox.emulator.contract import CallContext
from govbot_sandbox.emulator.state import ImageRecord
from govbot_sandbox.emulator.validation import operation_model

# What CloudTrail writes in place of a value the model marks sensitive (a streaming URL).
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
MANAGEMENT = "Management"  # every AppStream record is a management event

# English names fixed here so the Java-style dates never depend on the process locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso_z(when: datetime) -> str:
    """``2019-03-12T06:58:09Z`` (CloudTrail and EventBridge time format)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def java_date(when: datetime) -> str:
    """``Thu Mar 21 22:32:05 UTC 2019`` (the format of ``serviceEventDetails`` dates)."""
    t = when.astimezone(UTC)
    return f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t:%d %H:%M:%S} UTC {t.year}"


def lower_camel(name: str) -> str:
    """``SourceImageName`` -> ``sourceImageName`` (already-lower names unchanged)."""
    return name[:1].lower() + name[1:]


def to_cloudtrail(value: Any, shape: Shape | None) -> Any:
    """Convert an API structure to CloudTrail's JSON: lowerCamel member names, map keys
    (tag keys: user data) kept as they are, timestamps as ISO strings, sensitive values
    hidden."""
    if isinstance(value, datetime):
        return iso_z(value)
    if shape is None:
        return value
    if shape.metadata.get("sensitive"):
        return HIDDEN
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        return {lower_camel(k): to_cloudtrail(v, members.get(k)) for k, v in value.items()}
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: to_cloudtrail(v, shape.value) for k, v in value.items()}  # type: ignore[attr-defined]
    if shape.type_name == "list" and isinstance(value, list):
        return [to_cloudtrail(v, shape.member) for v in value]  # type: ignore[attr-defined]
    return value


def tls_details(region: str) -> dict[str, str]:
    """CloudTrail's ``tlsDetails`` of a call to AppStream's regional endpoint over TLS 1.3."""
    return {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": f"appstream2.{region}.amazonaws.com",
    }


def principal_id(ctx: CallContext) -> str:
    """A stable fake principal id: ``AIDA…`` for users, ``AROA…:session`` for roles."""
    digest = hashlib.sha256(ctx.principal_arn.encode()).hexdigest()[:17].upper()
    if ctx.principal_type == "AssumedRole":
        session = ctx.principal_arn.rsplit("/", 1)[-1]
        return f"AROA{digest}:{session}"
    return f"AIDA{digest}"


def user_identity(ctx: CallContext, session_start: datetime) -> dict[str, Any]:
    """CloudTrail's ``userIdentity`` of ``ctx``, shaped as AWS writes it.

    IAM users carry ``userName``; assumed roles carry ``sessionContext`` with the role as
    ``sessionIssuer`` (see the AssociateFleet sample AWS publishes), and the time the
    session began as ``creationDate`` (the same on every call of the session).
    """
    identity: dict[str, Any] = {
        "type": ctx.principal_type,
        "principalId": principal_id(ctx),
        "arn": ctx.principal_arn,
        "accountId": ctx.account_id,
        "accessKeyId": ctx.access_key_id,
    }
    parts = ctx.principal_arn.split(":", 5)[-1].split("/")
    if ctx.principal_type == "IAMUser":
        identity["userName"] = parts[-1]
    elif ctx.principal_type == "AssumedRole" and len(parts) >= 3:
        role = parts[1]
        role_id = principal_id(ctx).split(":", 1)[0]
        identity["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{ctx.account_id}:role/{role}",
                "accountId": ctx.account_id,
                "userName": role,
            },
            "attributes": {"creationDate": iso_z(session_start), "mfaAuthenticated": "false"},
        }
    return identity


def api_call_envelope(
    operation: str,
    params: dict[str, Any],
    output: dict[str, Any] | None,
    ctx: CallContext,
    now: datetime,
    *,
    error: tuple[str, str] | None = None,
    read_only: bool = False,
    session_start: datetime | None = None,
) -> dict[str, Any]:
    """The EventBridge envelope of one call made by ``ctx`` (``read_only``: a Describe or
    List call, recorded with ``readOnly: true`` as CloudTrail does).

    ``error`` is ``(code, message)`` for a failed call: CloudTrail still records it, with
    ``errorCode`` and ``errorMessage`` and no ``responseElements``. ``session_start`` is
    when the caller's session began (default: ``now``).
    """
    op = operation_model(operation)
    response = to_cloudtrail(output, op.output_shape) if output and error is None else None
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": user_identity(ctx, session_start or now),
        "eventTime": iso_z(now),
        "eventSource": EVENT_SOURCE,
        "eventName": operation,
        "awsRegion": ctx.region,
        "sourceIPAddress": ctx.source_ip,
        "userAgent": ctx.user_agent,
    }
    if error is not None:
        detail["errorCode"], detail["errorMessage"] = error
    detail.update(
        {
            "requestParameters": to_cloudtrail(params, op.input_shape) if params else None,
            "responseElements": response,
            "requestID": ctx.request_id or str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ctx.account_id,
            "eventCategory": MANAGEMENT,
            "tlsDetails": tls_details(ctx.region),
        }
    )
    return _envelope(API_CALL, ctx.account_id, ctx.region, now, detail)


def create_image_service_event(
    image: ImageRecord, builder_arn: str, base_released: datetime | None, now: datetime
) -> dict[str, Any]:
    """The ``CreateImage`` service event a builder emits when it starts making ``image``."""
    account = image.owner or ""
    details = {
        "ImageName": image.name,
        "ImagePlatform": "WINDOWS" if image.platform.startswith("WINDOWS") else image.platform,
        "PublicBaseImageReleasedDate": java_date(base_released or image.created_time),
        "ImageDisPlayName": image.display_name or image.name,
        "ImageBuilderSupported": "True",
        "ImageCreatedTime": java_date(image.created_time),
        "ImageDescription": image.description or "",
        "ImageState": image.state,
    }
    detail = {
        "eventVersion": "1.05",
        "userIdentity": {"arn": builder_arn, "accountId": account},
        "eventTime": iso_z(now),
        "eventSource": EVENT_SOURCE,
        "eventName": "CreateImage",
        "awsRegion": image.region,
        "requestParameters": None,
        "responseElements": None,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsServiceEvent",
        "recipientAccountId": account,
        "eventCategory": MANAGEMENT,
        "serviceEventDetails": details,
    }
    return _envelope(SERVICE_EVENT, account, image.region, now, detail)


def _envelope(
    detail_type: str, account: str, region: str, now: datetime, detail: dict[str, Any]
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.appstream",
        "account": account,
        "time": iso_z(now),
        "region": region,
        "resources": [],
        "detail": detail,
    }
