"""Duplicates, reordering and govbot's own events mixed into one burst."""

from __future__ import annotations

import json
from collections import Counter

from govbot_sandbox.sandbox import BOT_PRINCIPAL, Sandbox
from govbot_sandbox.storm import OUTSIDER, REGION, grant_builders, image_arn


def test_burst_of_duplicates_reordering_and_own_events_ends_consistent(sandbox: Sandbox) -> None:
    ids = grant_builders(sandbox, 2)  # storm-000, storm-001: outsider gets builder access
    # Alice removes storm-001's share again before govbot reads anything.
    sandbox.appstream(REGION).delete_image_permissions(Name="storm-001", SharedAccountId=OUTSIDER)
    sandbox.drain()  # the first round, incl. govbot's own remedy events routed back
    writes = [e for e in sandbox.emulator.events.events if not e["detail"]["readOnly"]]
    own = [e for e in writes if e["detail"]["userIdentity"]["arn"] == BOT_PRINCIPAL]
    assert len(own) == 1
    people = [e for e in writes if e not in own]
    # Then everything again, in one batch: duplicated, reversed, own events mixed in.
    burst = [json.dumps(e) for e in [*reversed(people), own[0], people[0], own[0]]]

    result = sandbox.deliver_raw(burst[:10])

    assert result["batchItemFailures"] == []
    remedies = Counter(
        e["detail"]["requestParameters"]["name"]
        for e in sandbox.emulator.events.named("UpdateImagePermissions")
        if e["detail"]["userIdentity"]["arn"] == BOT_PRINCIPAL
    )
    assert remedies == {"storm-000": 1}  # no remedy doubled, none for the removed share
    world = sandbox.emulator.backend.world.images
    assert not world[image_arn("storm-000")].shares[OUTSIDER].allow_image_builder
    assert OUTSIDER not in world[image_arn("storm-001")].shares
    ledger = sandbox.ledger
    statuses = {name: ledger.get_event(i).event.status for name, i in ids.items()}  # type: ignore[union-attr]
    assert statuses == {"storm-000": "processed", "storm-001": "processed"}
    own_bundle = ledger.get_event(own[0]["detail"]["eventID"])
    assert own_bundle.event is not None
    assert own_bundle.event.status == "ignored"
    # The removed grant is still judged: a violation decision naming how long it was held.
    held = [d for d in ledger.get_event(ids["storm-001"]).decisions if d.outcome == "violation"]
    assert held
    assert all(d.reason.endswith("since removed") for d in held)
