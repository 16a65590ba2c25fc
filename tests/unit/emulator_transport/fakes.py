"""A tiny in-memory backend honouring the core's contract, for transport tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from govbot_sandbox.emulator.contract import AppStreamError, CallContext

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class FakeBackend:
    """Knows one image per (account, region); records every call it receives."""

    def __init__(self, event_sink: Any = None) -> None:
        self.calls: list[tuple[str, dict[str, Any], CallContext]] = []
        self.event_sink = event_sink
        self.output_override: dict[str, Any] | None = None

    def dispatch(self, operation: str, params: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        self.calls.append((operation, params, ctx))
        if self.output_override is not None:
            return self.output_override
        if operation == "DescribeImages":
            return {
                "Images": [
                    {
                        "Name": "golden",
                        "Arn": f"arn:aws:appstream:{ctx.region}:{ctx.account_id}:image/golden",
                        "State": "AVAILABLE",
                        "CreatedTime": CREATED,
                        "ImageSharedWithOthers": "FALSE",
                    }
                ]
            }
        if operation == "UpdateImagePermissions":
            if params.get("Name") != "golden":
                raise AppStreamError("ResourceNotFoundException", f"no image {params.get('Name')}")
            if self.event_sink is not None:
                self.event_sink(
                    {
                        "source": "aws.appstream",
                        "detail-type": "AWS API Call via CloudTrail",
                        "account": ctx.account_id,
                        "region": ctx.region,
                        "time": "2026-01-02T03:04:05Z",
                        "detail": {"eventName": operation, "requestParameters": params},
                    }
                )
            return {}
        if operation == "DeleteImage":
            raise AppStreamError("ResourceInUseException", "image is shared")
        if operation == "CreateImageBuilder":
            raise RuntimeError("backend bug")
        raise AppStreamError("UnsupportedOperationException", f"{operation} not emulated")
