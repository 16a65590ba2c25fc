"""Read-only AppStream calls are recorded by CloudTrail (``readOnly: true``) but govbot's
routing ignores them: the hub's rules, the spokes' forwarders and the enforcer never see one,
and the ledger keeps no event of them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto.events.models import EventPattern

from govbot import routing
from govbot_sandbox.emulator.backend import READ_ONLY
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox, own_principal_prefix


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def test_no_governed_event_is_a_read_only_operation() -> None:
    assert not routing.governed_event_names() & set(READ_ONLY)


def test_read_only_records_are_never_routed_nor_ledgered(sandbox: Sandbox) -> None:
    for region in ("us-east-1", "eu-west-1"):  # the hub's bus, and a forwarding spoke
        arn = sandbox.emulator.backend.seed_image(HUB_ACCOUNT, region, "app")
        client = sandbox.appstream(region)
        client.describe_images(Names=["app"])
        client.describe_image_permissions(Name="app")
        client.list_tags_for_resource(ResourceArn=arn)
        client.describe_fleets()
        client.describe_image_builders()
        client.list_export_image_tasks()
    report = sandbox.drain()

    reads = [e for e in sandbox.emulator.events.events if e["detail"]["readOnly"]]
    assert {e["detail"]["eventName"] for e in reads} == set(READ_ONLY) - {"GetExportImageTask"}
    assert report.records == 0
    own = own_principal_prefix(HUB_ACCOUNT)
    rules = [
        EventPattern.load(json.dumps(p))
        for p in routing.enforcer_patterns(own) + routing.replicator_patterns(own)
    ]
    assert not [e for e in reads for rule in rules if rule.matches_event(e)]  # type: ignore[arg-type]
    assert all(sandbox.ledger.get_event(e["detail"]["eventID"]).event is None for e in reads)
