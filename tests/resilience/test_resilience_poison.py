"""Poison bodies of every shape in a batch with good events; early stop near the timeout."""

from __future__ import annotations

import json
from itertools import count

from govbot_sandbox.sandbox import Sandbox
from govbot_sandbox.storm import OUTSIDER, grant_builders, image_arn

DEEP = "[" * 5000 + "]" * 5000  # RecursionError in the JSON parser
POISON = [
    DEEP,
    "[" * 500 + "]" * 500,
    '{"a": ' * 500 + "1" + "}" * 500,
    json.dumps({"source": ["aws.events"], "detail": {}}),  # unhashable source
    json.dumps({"source": {"x": 1}, "detail-type": "Scheduled Event"}),  # no id, no time
    json.dumps({"source": "govbot.actions", "detail": {"operation": ["x"]}}),
    json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": []}),
    json.dumps([1, 2, 3]),
    "null",
    "",
    "\udcff not utf-8",
    "x" * 300_000,
    json.dumps({"source": "aws.appstream", "detail": {"eventName": {"$": 1}}}),
]


def test_poison_bodies_are_rejected_and_recorded_good_events_remedied(sandbox: Sandbox) -> None:
    (good,) = grant_builders(sandbox, 1).values()
    sqs_good = json.dumps(
        next(e for e in sandbox.emulator.events.events if e["detail"]["eventID"] == good)
    )
    batch = [*POISON[:9], sqs_good]
    tail = [*POISON[9:], sqs_good]  # the good event again: a duplicate, handled as one

    first = sandbox.deliver_raw(batch)
    second = sandbox.deliver_raw(tail)

    assert first["batchItemFailures"] == []
    assert second["batchItemFailures"] == []
    share = sandbox.emulator.backend.world.images[image_arn("storm-000")].shares[OUTSIDER]
    assert not share.allow_image_builder
    ledger = sandbox.ledger
    rejected = ledger.events_by_status("rejected", limit=100)
    assert len(rejected) == len(POISON)
    assert all(r.reason and len(r.reason) <= 1000 for r in rejected)
    reasons = " | ".join(r.reason or "" for r in rejected)
    assert "RecursionError" in reasons


def test_batch_stops_early_near_timeout_and_hands_back_the_rest(sandbox: Sandbox) -> None:
    ids = grant_builders(sandbox, 4)
    clock = count()
    # 60 s left for the first two records, then 5 s: under the 15 s margin.
    sandbox.remaining_ms = lambda: 60_000 if next(clock) < 2 else 5_000
    bodies = [
        json.dumps(e)
        for e in sandbox.emulator.events.events
        if e["detail"]["eventID"] in ids.values()
    ]

    result = sandbox.deliver_raw(bodies)

    handed_back = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    assert handed_back == {"raw-2", "raw-3"}
    statuses = [sandbox.ledger.get_event(i).event for i in ids.values()]
    assert [s.status if s else None for s in statuses] == ["processed", "processed", None, None]
