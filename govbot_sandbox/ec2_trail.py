"""CloudTrail for moto's EC2 image launch permissions: ``ModifyImageAttribute`` events.

An AppStream image exported to an AMI leaves AppStream's sharing: EC2 launch permissions
share it. In AWS, ``ec2:ModifyImageAttribute`` reaches EventBridge as an "AWS API Call via
CloudTrail" with ``source: aws.ec2``. moto records no CloudTrail, so inside
:func:`ec2_image_trail` every ModifyImageAttribute moto answers (in process under
``mock_aws``, or through ``govbot-sandbox serve``) emits that record to the emulator's
event sinks (the region's bus, the hub forwarder...), failed calls with ``errorCode``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from govbot_sandbox.emulator.contract import CallContext
from govbot_sandbox.emulator.events import MANAGEMENT, iso_z, tls_details, user_identity

EC2_SOURCE = "aws.ec2"
EC2_EVENT_SOURCE = "ec2.amazonaws.com"
Sink = Callable[[dict[str, Any]], None]
Identify = Callable[[Mapping[str, str], str, str], CallContext]


def launch_permission_parameters(querystring: Mapping[str, list[str]]) -> dict[str, Any]:
    """CloudTrail's ``requestParameters`` of ModifyImageAttribute from moto's query params.

    ``{"imageId", "attributeType": "launchPermission", "launchPermission": {"add":
    {"items": [{"userId": ...}]}, "remove": {...}}}`` as EC2's records show it; the short
    form (``OperationType`` + ``UserId.N``) is folded into the same shape.
    """

    def first(key: str) -> str | None:
        values = querystring.get(key) or []
        return values[0] if values else None

    changes: dict[str, list[dict[str, str]]] = {"add": [], "remove": []}
    for key, values in querystring.items():
        parts = key.split(".")
        # LaunchPermission.Add.1.UserId / LaunchPermission.Remove.2.Group
        if len(parts) == 4 and parts[0] == "LaunchPermission" and values:
            kind = parts[1].lower()
            if kind in changes:
                field = parts[3][:1].lower() + parts[3][1:]
                changes[kind].append({field: values[0]})
    operation = (first("OperationType") or "").lower()
    if operation in changes:
        for key, values in querystring.items():
            if key.startswith("UserId.") and values:
                changes[operation].append({"userId": values[0]})
            elif key.startswith("UserGroup.") and values:
                changes[operation].append({"group": values[0]})
    params: dict[str, Any] = {"imageId": first("ImageId")}
    params["attributeType"] = first("Attribute") or "launchPermission"
    permission = {k: {"items": v} for k, v in changes.items() if v}
    if permission:
        params["launchPermission"] = permission
    return params


def modify_image_attribute_envelope(
    ctx: CallContext,
    account: str,
    now: datetime,
    params: dict[str, Any],
    error: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The EventBridge envelope of one ModifyImageAttribute call in ``account``."""
    detail: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": user_identity(ctx, now),
        "eventTime": iso_z(now),
        "eventSource": EC2_EVENT_SOURCE,
        "eventName": "ModifyImageAttribute",
        "awsRegion": ctx.region,
        "sourceIPAddress": ctx.source_ip,
        "userAgent": ctx.user_agent,
        "requestParameters": params,
        "responseElements": None if error else {"_return": True},
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": MANAGEMENT,
        "tlsDetails": {
            **tls_details(ctx.region),
            "clientProvidedHostHeader": f"ec2.{ctx.region}.amazonaws.com",
        },
    }
    if error is not None:
        detail["errorCode"], detail["errorMessage"] = error
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": EC2_SOURCE,
        "account": account,
        "time": iso_z(now),
        "region": ctx.region,
        "resources": [],
        "detail": detail,
    }


@contextmanager
def ec2_image_trail(sink: Sink, identify: Identify, now: Callable[[], datetime]) -> Iterator[None]:
    """While active, moto's EC2 ModifyImageAttribute emits its CloudTrail envelope to ``sink``.

    ``identify(headers, url, source_ip)`` tells who called (the emulator's
    ``context_for``); ``now`` is the sandbox clock.
    """
    from moto.ec2.responses.amis import AmisResponse

    original = AmisResponse.modify_image_attribute

    def recorded(self: Any) -> Any:
        headers = {str(k): str(v) for k, v in dict(self.headers).items()}
        ctx = identify(headers, str(self.uri), "127.0.0.1")
        ctx = CallContext(
            account_id=self.current_account,
            region=self.region,
            principal_arn=ctx.principal_arn,
            principal_type=ctx.principal_type,
            access_key_id=ctx.access_key_id,
            user_agent=ctx.user_agent,
        )
        params = launch_permission_parameters(self.querystring)
        try:
            result = original(self)
        except Exception as exc:
            code = getattr(exc, "code", None) or type(exc).__name__
            message = getattr(exc, "message", None) or str(exc)
            failed = (str(code), str(message))
            sink(modify_image_attribute_envelope(ctx, ctx.account_id, now(), params, failed))
            raise
        sink(modify_image_attribute_envelope(ctx, ctx.account_id, now(), params))
        return result

    AmisResponse.modify_image_attribute = recorded  # type: ignore[method-assign]
    try:
        yield
    finally:
        AmisResponse.modify_image_attribute = original  # type: ignore[method-assign]
