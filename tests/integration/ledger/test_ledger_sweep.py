"""The drift sweep's checkpoint records in a moto table: one Query, optimistic writes."""

from __future__ import annotations

from typing import Any

import pytest

from govbot.ledger import ConcurrentUpdate, Ledger
from govbot.ledger.records import SweepLane, SweepPass
from tests.integration.ledger.conftest import START, RecordingClient, raw_item


def test_checkpoint_round_trips_and_is_read_in_one_query(
    ledger: Ledger, recording: RecordingClient, ddb: Any
) -> None:
    opened = ledger.put_sweep_record(
        SweepPass(pass_id="tick-1", opened_at=START, actor_arn="arn:rule"), expected_version=None
    )
    lane = SweepLane(
        account_id="123456789012",
        region="us-east-1",
        pass_id="tick-1",
        state="listing",
        page_token="opaque==",
        done_names=("a", "b"),
        drifted=("arn:aws:appstream:us-east-1:123456789012:image/a",),
        lease_until=START,
    )
    stored = ledger.put_sweep_record(lane, expected_version=None)
    recording.reset()

    current, lanes = ledger.sweep_checkpoint()

    assert recording.operations() == ["query"]
    assert current == opened
    assert lanes == [stored]
    assert (opened.version, stored.version) == (1, 1)
    item = raw_item(ddb, "SWEEP", "LANE#123456789012#us-east-1")
    assert item is not None
    assert item["kind"] == {"S": "sweeplane"}
    assert "expires_at" not in item  # the checkpoint never expires


def test_a_stale_version_is_refused_so_only_one_invocation_claims_a_lane(ledger: Ledger) -> None:
    lane = ledger.put_sweep_record(
        SweepLane(account_id="123456789012", region="eu-west-1"), expected_version=None
    )
    mine = ledger.put_sweep_record(
        lane.model_copy(update={"owner": "me"}), expected_version=lane.version
    )

    with pytest.raises(ConcurrentUpdate, match="LANE#123456789012#eu-west-1"):
        ledger.put_sweep_record(lane.model_copy(update={"owner": "you"}), expected_version=1)
    with pytest.raises(ConcurrentUpdate):
        ledger.put_sweep_record(lane, expected_version=None)
    assert ledger.sweep_checkpoint()[1] == [mine]
