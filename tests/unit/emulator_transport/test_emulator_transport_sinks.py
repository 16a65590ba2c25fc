"""Event sinks: recording, the PutEvents entry for moto, and failure isolation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govbot_sandbox.emulator.sinks import (
    MotoEventBridgeSink,
    RecordingSink,
    SafeFanout,
    to_put_events_entry,
)

ENVELOPE: dict[str, Any] = {
    "version": "0",
    "id": "e1",
    "source": "aws.appstream",
    "detail-type": "AWS API Call via CloudTrail",
    "account": "123456789012",
    "region": "eu-west-1",
    "time": "2026-01-02T03:04:05Z",
    "resources": [],
    "detail": {"eventName": "UpdateImagePermissions", "requestParameters": {"name": "golden"}},
}


def test_recording_sink_keeps_envelopes_and_filters_by_name() -> None:
    sink = RecordingSink()
    sink(ENVELOPE)
    sink({**ENVELOPE, "detail": {"eventName": "CopyImage"}})
    assert len(sink) == 2
    assert [e["detail"]["eventName"] for e in sink.named("CopyImage")] == ["CopyImage"]
    sink.clear()
    assert sink.events == []


def test_put_events_entry_keeps_source_type_detail_and_time() -> None:
    entry = to_put_events_entry(ENVELOPE)
    assert entry["Source"] == "aws.appstream"
    assert entry["DetailType"] == "AWS API Call via CloudTrail"
    assert json.loads(entry["Detail"]) == ENVELOPE["detail"]
    assert entry["Time"] == 1767323045.0


def test_put_events_entry_names_the_missing_key() -> None:
    broken = {k: v for k, v in ENVELOPE.items() if k != "region"}
    with pytest.raises(ValueError, match="missing 'region'"):
        to_put_events_entry(broken)


def test_moto_sink_is_a_no_op_without_mock_aws() -> None:
    sink = MotoEventBridgeSink()
    sink(ENVELOPE)
    assert sink.delivered == 0


def test_fanout_isolates_a_failing_sink() -> None:
    recorded = RecordingSink()

    def broken(_: dict[str, Any]) -> None:
        raise RuntimeError("bus down")

    fanout = SafeFanout([broken, recorded])
    fanout(ENVELOPE)
    assert fanout.failures == 1
    assert recorded.events == [ENVELOPE]
