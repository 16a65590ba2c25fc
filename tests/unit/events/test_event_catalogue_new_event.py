"""Adding an AppStream event is one spec file: this module is that file, plus its tests.

``GrantImageAccess`` is a made-up operation (a share granting both permissions). Nothing
outside this module is edited: registering its ``EventSpec`` is enough for the
EventBridge rules to name it, the parser to read it, the enforcer to evaluate it,
``govbot simulate`` to change its world for it and the notifier to render what came of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from moto.events.models import EventPattern

from govbot import routing
from govbot.domain import ImageSnapshot, Permissions
from govbot.events import IgnoredEvent, ParsedEvent, RejectedEvent, envelope_for, parse_event
from govbot.events.catalogue import (
    EventSpec,
    Facts,
    WorldChange,
    event_spec,
    register_event,
    unregister_event,
)
from govbot.events.catalogue.effects import shares_of, with_shares
from govbot.events.params import AccountId, EventParams, ImageName
from tests.unit.cli.runner import DEMO_POLICY, REPO_ROOT, run_cli

OWNER = "123456789012"
OUTSIDER = "999999999999"
WORLD = str(REPO_ROOT / "docs" / "examples" / "simulate" / "world.yaml")


# --- the new event's spec file (what a contributor writes) ----------------------------


class GrantImageAccessParams(EventParams):
    operation: Literal["GrantImageAccess"] = "GrantImageAccess"
    name: ImageName
    shared_account_id: AccountId


def _facts(params: GrantImageAccessParams) -> Facts:
    return Facts(
        image_name=params.name,
        fields={
            "shared_account_id": params.shared_account_id,
            "permissions": Permissions(allow_fleet=True, allow_image_builder=True),
        },
    )


def _no_facts(params: GrantImageAccessParams) -> Facts:
    return Facts()


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    assert event.shared_account_id
    assert event.permissions
    shares = shares_of(image)
    shares[event.shared_account_id] = event.permissions
    return WorldChange(with_shares(image, shares))


SPEC: EventSpec[GrantImageAccessParams] = EventSpec(
    name="GrantImageAccess",
    delivery="api_call",
    params=GrantImageAccessParams,
    facts=_facts,
    enforcer="evaluate",
    world=_world,
    implies_image=True,
    emulated=False,
)


# --- its tests ------------------------------------------------------------------------


@pytest.fixture
def registered() -> Iterator[EventSpec[GrantImageAccessParams]]:
    spec = register_event(SPEC)
    try:
        yield spec
    finally:
        unregister_event(SPEC.name)


def _record(event_id: str = "grant-1") -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "accountId": OWNER,
                         "arn": f"arn:aws:sts::{OWNER}:assumed-role/Admin/alice"},
        "eventTime": "2026-11-27T16:00:00Z", "eventSource": "appstream.amazonaws.com",
        "eventName": "GrantImageAccess", "awsRegion": "us-east-1",
        "requestParameters": {"name": "app-base", "sharedAccountId": OUTSIDER},
        "responseElements": None, "eventID": event_id, "eventType": "AwsApiCall",
        "recipientAccountId": OWNER,
    }  # fmt: skip


def _parse(envelope: dict[str, Any]) -> ParsedEvent | RejectedEvent | IgnoredEvent:
    return parse_event(
        envelope, governed_accounts=frozenset({OWNER}), governed_regions=frozenset({"us-east-1"})
    )


def _matches(patterns: list[dict[str, Any]], envelope: dict[str, Any]) -> bool:
    return any(
        EventPattern.load(json.dumps(p)).matches_event(envelope)  # type: ignore[arg-type]
        for p in patterns
    )


def test_unregistered_the_event_is_not_routed_and_only_ignored_by_the_parser() -> None:
    envelope = envelope_for(_record())
    assert event_spec("GrantImageAccess") is None
    assert not _matches(routing.enforcer_patterns(), envelope)
    assert isinstance(_parse(envelope), IgnoredEvent)


def test_registered_it_is_routed_to_the_enforcer_only(registered: EventSpec[Any]) -> None:
    envelope = envelope_for(_record())
    assert "GrantImageAccess" in routing.governed_api_calls()
    assert "GrantImageAccess" in routing.governed_event_names()
    assert _matches(routing.enforcer_patterns(), envelope)
    # No replicator step: the replicator's queue never receives it.
    assert not _matches(routing.replicator_patterns(), envelope)


def test_registered_it_is_parsed_with_its_params_and_facts(registered: EventSpec[Any]) -> None:
    event = _parse(envelope_for(_record()))
    assert isinstance(event, ParsedEvent)
    assert isinstance(event.params, GrantImageAccessParams)
    assert event.image_arn == f"arn:aws:appstream:us-east-1:{OWNER}:image/app-base"
    assert event.shared_account_id == OUTSIDER
    assert event.permissions == Permissions(allow_fleet=True, allow_image_builder=True)
    # Read back from JSON, its params find their model again.
    again = ParsedEvent.model_validate_json(event.model_dump_json())
    assert isinstance(again.params, GrantImageAccessParams)
    assert again == event
    # Its params model validates strictly, like a built-in one.
    bad = _record()
    bad["requestParameters"]["sharedAccountId"] = "not-an-account"
    rejected = _parse(envelope_for(bad))
    assert isinstance(rejected, RejectedEvent)
    assert "requestParameters.sharedAccountId: expected a 12-digit" in rejected.reason


def test_registered_it_is_simulated_enforced_and_notified(
    registered: EventSpec[Any], tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(envelope_for(_record(), envelope_id="env-grant")) + "\n")
    result = run_cli(
        "simulate", "--policy", DEMO_POLICY, "--now", "2026-11-27T17:00:00Z", "--json",
        "--world", WORLD, str(events),
    )  # fmt: skip
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    (outcome,) = doc["events"]
    # The world effect shared the image; the enforcer found the builder grant forbidden
    # for an outsider and removed just that; the notifier rendered the remedy.
    assert (outcome["event_id"], outcome["outcome"]) == ("grant-1", "remedied")
    assert outcome["rules"] == ["no-untrusted-builders"]
    (message,) = outcome["messages"]
    assert message["kind"] == "violation_remedied"
    assert "Share revoked: app-base" in message["text"]
    images = {i["name"]: i for i in doc["world"]["images"]}
    assert {"account": OUTSIDER, "fleet": True, "image_builder": False} in images["app-base"][
        "permissions"
    ]


def test_registering_twice_or_a_mismatched_model_is_refused(registered: EventSpec[Any]) -> None:
    from govbot.events.catalogue import EventRegistryError

    assert register_event(SPEC) is SPEC  # the same spec again: a no-op
    with pytest.raises(EventRegistryError, match="already registered"):
        register_event(EventSpec(name="GrantImageAccess", delivery="api_call",
                                 params=GrantImageAccessParams, facts=_no_facts))  # fmt: skip
    with pytest.raises(EventRegistryError, match='operation: Literal\\["ShareAll"\\]'):
        register_event(EventSpec(name="ShareAll", delivery="api_call",
                                 params=GrantImageAccessParams, facts=_facts))  # fmt: skip
    with pytest.raises(EventRegistryError, match="not an AppStream operation name"):
        register_event(EventSpec(name="grant image", delivery="api_call",
                                 params=GrantImageAccessParams, facts=_facts))  # fmt: skip
