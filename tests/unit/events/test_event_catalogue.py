"""The built-in event catalogue: one spec per governed event, read by every consumer."""

from __future__ import annotations

import pytest

from govbot import routing
from govbot.events import event_names, event_spec, event_specs
from govbot.events.catalogue import Facts
from govbot_sandbox.emulator.backend import AppStreamBackend

API_CALLS = (
    "UpdateImagePermissions", "DeleteImagePermissions", "CopyImage", "DeleteImage",
    "CreateUpdatedImage", "CreateImageBuilder", "CreateFleet", "UpdateFleet", "TagResource",
    "UntagResource", "CreateExportImageTask", "CreateImportedImage", "UpdateImageBuilder",
    "CreateImageBuilderStreamingURL", "StartImageBuilder", "StopImageBuilder",
)  # fmt: skip


def test_the_built_in_events_in_rule_order() -> None:
    assert event_names("api_call") == API_CALLS
    assert event_names("service_event") == ("CreateImage",)
    assert routing.governed_event_names() == frozenset(API_CALLS) | {"CreateImage"}


def test_each_event_says_what_the_enforcer_and_the_replicator_do() -> None:
    def named(attribute: str, value: object) -> set[str]:
        return {s.name for s in event_specs() if getattr(s, attribute) == value}

    assert named("enforcer", "evaluate") == {
        "UpdateImagePermissions", "DeleteImagePermissions", "TagResource", "UntagResource",
        "CreateUpdatedImage", "CreateImage", "CreateExportImageTask", "CreateImportedImage",
    }  # fmt: skip
    assert named("enforcer", "inbound") == {"CreateFleet", "UpdateFleet", "CreateImageBuilder"}
    assert named("enforcer", "deleted") == {"DeleteImage"}
    assert named("replicator", "replicate") == {
        "TagResource", "CreateUpdatedImage", "CreateImage", "CreateImportedImage",
    }  # fmt: skip
    assert named("replicator", "copied") == {"CopyImage"}
    assert named("replicator", "deleted") == {"DeleteImage"}
    assert named("makes_image", "itself") == {
        "CreateImage", "CreateUpdatedImage", "CreateImportedImage",
    }  # fmt: skip
    assert named("enforcer", "record") == {
        "CopyImage", "UpdateImageBuilder", "CreateImageBuilderStreamingURL", "StartImageBuilder",
        "StopImageBuilder",
    }  # fmt: skip
    assert named("makes_image", "copy") == {"CopyImage"}
    # The replicator's queue receives exactly the events it has a step for.
    replicated = {n for p in routing.replicator_patterns() for n in p["detail"]["eventName"]}
    assert replicated == {s.name for s in event_specs() if s.replicator is not None}


def test_simulate_changes_the_world_for_every_image_changing_event() -> None:
    changing = {s.name for s in event_specs() if s.world is not None}
    assert changing == {
        "UpdateImagePermissions", "DeleteImagePermissions", "CopyImage", "DeleteImage",
        "CreateUpdatedImage", "TagResource", "UntagResource", "CreateImage",
        "CreateImportedImage",
    }  # fmt: skip
    implied = {s.name for s in event_specs() if s.implies_image}
    assert implied == changing - {"CopyImage", "DeleteImage"}


def test_the_emulator_implements_every_emulated_api_call() -> None:
    emulated = {s.name for s in event_specs("api_call") if s.emulated}
    assert emulated == set(API_CALLS)
    assert emulated <= AppStreamBackend.supported_operations()


def test_record_notes_say_what_was_recorded() -> None:
    spec = event_spec("CreateFleet")
    assert spec is not None
    assert spec.enforcer == "inbound"
    untold = event_spec("TagResource")
    assert untold is not None
    assert untold.record_note.__name__ == "no_record_note"


def test_facts_naming_no_parsed_event_field_are_refused() -> None:
    with pytest.raises(TypeError, match=r"facts name no ParsedEvent field: \['colour'\]"):
        Facts(image_name="x", fields={"colour": "blue"})
    with pytest.raises(TypeError, match="image_arn"):
        Facts(fields={"image_arn": "arn:aws:appstream:us-east-1:1:image/x"})


def test_facts_of_refuses_another_events_params() -> None:
    copy, delete = event_spec("CopyImage"), event_spec("DeleteImage")
    assert copy is not None
    assert delete is not None
    params = delete.params.model_validate({"name": "img"})
    assert delete.facts_of(params) == Facts(image_name="img")
    with pytest.raises(TypeError, match="CopyImage: expected CopyImageParams params"):
        copy.facts_of(params)
