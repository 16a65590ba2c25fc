"""Where the emulator's CloudTrail envelopes go.

An envelope is the EventBridge event the core builds for a mutating call
(``source: aws.appstream``, ``detail-type``, ``detail``, ``account``, ``region``...).
``RecordingSink`` keeps them; ``MotoEventBridgeSink`` puts them on moto's default bus of
the envelope's account and region, so moto's rules route them (to SQS, for instance).
``SafeFanout`` delivers to several sinks and never lets a sink failure fail the call.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]


class RecordingSink:
    """Keeps every envelope it receives, in order (thread-safe).

    ``limit``: keep only the newest ``limit`` envelopes (a long-running server records every
    read-only call too); None keeps all, as tests expect.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.limit = limit

    def __call__(self, envelope: dict[str, Any]) -> None:
        with self._lock:
            self._events.append(envelope)
            if self.limit is not None and len(self._events) > self.limit:
                # Drop the oldest tenth at once: amortised, not a list shift per record.
                del self._events[: len(self._events) - self.limit + self.limit // 10]

    @property
    def events(self) -> list[dict[str, Any]]:
        """A copy of the envelopes received so far."""
        with self._lock:
            return list(self._events)

    def named(self, event_name: str) -> list[dict[str, Any]]:
        """The envelopes whose ``detail.eventName`` is ``event_name``."""
        return [e for e in self.events if (e.get("detail") or {}).get("eventName") == event_name]

    def clear(self) -> None:
        """Forget every envelope."""
        with self._lock:
            self._events.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


def moto_active() -> bool:
    """True while a moto ``mock_aws`` is active (its botocore stubber is enabled)."""
    models = sys.modules.get("moto.core.models")
    stubber = getattr(models, "botocore_stubber", None)
    return bool(getattr(stubber, "enabled", False))


def _epoch_of(value: Any) -> float | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def to_put_events_entry(envelope: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge ``PutEvents`` entry that reproduces ``envelope`` on a bus."""
    for key in ("source", "detail-type", "detail", "account", "region"):
        if key not in envelope:
            raise ValueError(f"CloudTrail envelope is missing {key!r}: {sorted(envelope)}")
    entry: dict[str, Any] = {
        "Source": envelope["source"],
        "DetailType": envelope["detail-type"],
        "Detail": json.dumps(envelope["detail"], default=str),
        "Resources": list(envelope.get("resources") or []),
    }
    epoch = _epoch_of(envelope.get("time"))
    if epoch is not None:
        entry["Time"] = epoch
    return entry


class MotoEventBridgeSink:
    """Puts envelopes on moto's default event bus of their account and region.

    It talks to moto's events backend directly (no boto3 client, no credentials to fake),
    so the event lands in exactly ``envelope["account"]`` / ``envelope["region"]`` and
    moto's rules route it to their targets. moto's ``put_events`` delivers through a
    default input template that drops ``account``; real EventBridge keeps it, so rules
    without an ``InputTransformer`` get the envelope untransformed (account included).
    With ``only_when_active`` (the default) the sink does nothing outside ``mock_aws``.
    """

    def __init__(
        self, *, only_when_active: bool = True, deliver_to: tuple[str, str] | None = None
    ) -> None:
        self.only_when_active = only_when_active
        # (account, region) of the bus to deliver to; None: the envelope's own bus.
        self.deliver_to = deliver_to
        self.delivered = 0

    def __call__(self, envelope: dict[str, Any]) -> None:
        if self.only_when_active and not moto_active():
            return
        from moto.events.models import events_backends

        entry = to_put_events_entry(envelope)
        account, region = self.deliver_to or (str(envelope["account"]), str(envelope["region"]))
        backend = events_backends[account][region]
        try:
            rules = list(backend.describe_event_bus("default").rules.values())
        except AttributeError:  # moto internals moved: fall back to its public path
            self._put_events(backend, entry)
            return
        message = {
            "version": "0",
            "id": str(envelope.get("id") or uuid.uuid4()),
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": str(envelope["account"]),
            "time": entry.get("Time", time.time()),  # moto's SQS target formats epoch
            "region": str(envelope["region"]),
            "resources": entry["Resources"],
            "detail": json.loads(entry["Detail"]),
        }
        for rule in rules:
            transform = any("InputTransformer" in t for t in rule.targets)
            rule.send_to_targets(copy.deepcopy(message), transform_input=transform)  # type: ignore[arg-type]
        self.delivered += 1

    def _put_events(self, backend: Any, entry: dict[str, Any]) -> None:
        results = backend.put_events([entry])
        failed = [r for r in results if "ErrorCode" in r]
        if failed:
            raise RuntimeError(f"moto EventBridge rejected the envelope: {failed}")
        self.delivered += 1


class SafeFanout:
    """Delivers each envelope to every sink; a failing sink is logged, never raised."""

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self.sinks = list(sinks)
        self.failures = 0

    def __call__(self, envelope: dict[str, Any]) -> None:
        for sink in self.sinks:
            try:
                sink(envelope)
            except Exception:
                # The AppStream call already succeeded; losing an event must not undo that.
                self.failures += 1
                logger.exception(
                    "event sink %r failed for %s",
                    sink,
                    (envelope.get("detail") or {}).get("eventName"),
                )
