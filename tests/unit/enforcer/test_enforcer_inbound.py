"""Inbound shares in the enforcer (issue 11): a CreateFleet / UpdateFleet /
CreateImageBuilder event is judged on what the fleet or builder runs *now* (re-read),
announced once per viewing account, never remedied; own, public, governed-owner images
and policies without an inbound rule cost no read; a DeleteImage resolves what stood."""

from __future__ import annotations

from typing import Any

from govbot.domain import ImageRef, ImageSnapshot, PermissionKind
from govbot.enforcer.announce import announce
from govbot.enforcer.inbound import foreign_images
from govbot.gateways.appstream import BuilderUsage, FleetUsage
from govbot.policy.loader import parse_policy
from tests.fakes import T0, FakeLedger
from tests.unit.enforcer.builders import OUTSIDER, OWNER, POLICY, REGION, envelope, world
from tests.unit.enforcer.test_enforcer_semantics import _verdict

INBOUND_RULE = """\
  - id: trusted-image-owners
    type: inbound_only_from_trusted
"""
VENDOR_ARN = f"arn:aws:appstream:{REGION}:{OUTSIDER}:image/vendor-app"
OTHER_GOVERNED = "210987654321"


def _policy_text(mode: str = "enforce") -> str:
    text = POLICY.format(mode=mode)
    return text.replace("approvers:", INBOUND_RULE + "approvers:", 1)


def _fleet(name: str, image_arn: str | None, account: str = OWNER) -> FleetUsage:
    return FleetUsage(
        name=name,
        arn=f"arn:aws:appstream:{REGION}:{account}:fleet/{name}",
        state="RUNNING",
        account_id=account,
        region=REGION,
        image_name=image_arn.rsplit("/", 1)[-1] if image_arn else None,
        image_arn=image_arn,
        desired_capacity=2,
        in_use=1,
    )


def _builder(name: str, image_arn: str) -> BuilderUsage:
    return BuilderUsage(
        name=name,
        arn=f"arn:aws:appstream:{REGION}:{OWNER}:image-builder/{name}",
        state="RUNNING",
        account_id=OWNER,
        region=REGION,
        image_arn=image_arn,
        created_time=None,
    )


def _event(op: str, name: str, image_arn: str, event_id: str = "ev-fleet") -> dict[str, Any]:
    params = {"name": name, "imageArn": image_arn, "instanceType": "stream.standard.medium"}
    return envelope(op, params, event_id=event_id)


def _inbound_world(mode: str = "enforce", text: str | None = None) -> Any:
    return world(the_policy=parse_policy(text or _policy_text(mode), source="test"))


def test_create_fleet_on_an_untrusted_image_is_reported_with_what_runs_it() -> None:
    w = _inbound_world()
    w.appstream.fleets.append(_fleet("call-center", VENDOR_ARN))
    w.appstream.builders.append(_builder("b1", VENDOR_ARN))

    result = w.enforcer.handle(_event("CreateFleet", "call-center", VENDOR_ARN))

    assert result.status == "processed"
    assert w.appstream.write_calls() == []  # never a write: report-only
    (item,) = w.ledger.outbox_of("inbound_image_used")
    payload = item.payload
    assert payload["image_arn"] == VENDOR_ARN
    assert payload["account_id"] == OUTSIDER  # the image's owner
    assert payload["shared_account_ids"] == [OWNER]
    uses = [(u["kind"], u["name"]) for u in payload["details"]["uses"]]
    assert uses == [("fleet", "call-center"), ("image_builder", "b1")]
    assert item.severity == "high"
    decisions = w.ledger.decisions["ev-fleet"].values()
    assert {
        (d.permission, d.outcome) for d in decisions if d.rule_id == "trusted-image-owners"
    } == {
        ("fleet", "violation"),
        ("image_builder", "violation"),
    }
    # The announcement is kept for this viewing account, not the owner's view.
    assert w.ledger.get_announced(VENDOR_ARN) is None
    state = w.ledger.get_announced(VENDOR_ARN, viewer_account_id=OWNER)
    assert state is not None
    assert len(state.findings) == 2


def test_a_second_event_on_the_same_image_is_recorded_not_announced_again() -> None:
    w = _inbound_world()
    w.appstream.fleets.append(_fleet("call-center", VENDOR_ARN))
    w.enforcer.handle(_event("CreateFleet", "call-center", VENDOR_ARN))
    w.appstream.fleets.append(_fleet("second", VENDOR_ARN))

    w.enforcer.handle(_event("CreateFleet", "second", VENDOR_ARN, event_id="ev-2"))

    assert len(w.ledger.outbox_of("inbound_image_used")) == 2  # the reason changed: 2 fleets
    w.enforcer.handle(_event("UpdateFleet", "second", VENDOR_ARN, event_id="ev-3"))
    assert len(w.ledger.outbox_of("inbound_image_used")) == 2  # unchanged: not again
    assert "ev-3" in w.ledger.decisions  # but observed


def test_the_event_is_not_trusted_the_fleet_is_read_again() -> None:
    w = _inbound_world()
    # The event says vendor-app; the fleet has since been moved to an image of its own.
    own = f"arn:aws:appstream:{REGION}:{OWNER}:image/app-base"
    w.appstream.fleets.append(_fleet("call-center", own))

    result = w.enforcer.handle(_event("UpdateFleet", "call-center", VENDOR_ARN))

    assert result.status == "processed"
    assert "an image of its own account" in result.note
    assert w.ledger.outbox_of("inbound_image_used") == []


def test_gone_public_and_governed_owner_images_are_not_inbound() -> None:
    w = _inbound_world()
    result = w.enforcer.handle(_event("CreateFleet", "gone", VENDOR_ARN))
    assert "no longer exists" in result.note
    public = f"arn:aws:appstream:{REGION}::image/AppStream-WinServer2022"
    w.appstream.fleets.append(_fleet("on-public", public))
    result = w.enforcer.handle(_event("CreateFleet", "on-public", public, event_id="ev-p"))
    assert "AWS public image" in result.note
    assert w.ledger.outbox_of("inbound_image_used") == []


def test_without_an_inbound_rule_no_fleet_is_read() -> None:
    w = world()  # the unit policy has no inbound_only_from_trusted rule
    w.appstream.fleets.append(_fleet("call-center", VENDOR_ARN))

    result = w.enforcer.handle(_event("CreateFleet", "call-center", VENDOR_ARN))

    assert result.status == "processed"
    assert w.appstream.calls_to("list_fleets") == []
    assert result.note == "fleet created with this image"


def test_foreign_images_groups_uses_and_skips_own_public_and_governed_owners() -> None:
    governed_arn = f"arn:aws:appstream:{REGION}:{OTHER_GOVERNED}:image/hub-app"
    listed_only = ImageSnapshot(
        ref=ImageRef(account_id=OUTSIDER, region=REGION, name="unused"), visibility="SHARED"
    )
    found = foreign_images(
        OWNER,
        REGION,
        [
            _fleet("a", VENDOR_ARN),
            _fleet("b", VENDOR_ARN),
            _fleet("own", f"arn:aws:appstream:{REGION}:{OWNER}:image/x"),
            _fleet("public", f"arn:aws:appstream:{REGION}::image/AppStream-X"),
            _fleet("hub", governed_arn),
            _fleet("none", None),
        ],
        [_builder("builder", VENDOR_ARN)],
        governed=frozenset({OWNER, OTHER_GOVERNED}),
        listed=[listed_only],
    )
    assert [i.ref.name for i in found] == ["unused", "vendor-app"]
    unused, vendor = found
    assert unused.used_by == ()
    assert unused.viewer_account_id == OWNER
    kinds: list[tuple[PermissionKind, str]] = [(u.kind, u.name) for u in vendor.used_by]
    assert kinds == [("fleet", "a"), ("fleet", "b"), ("image_builder", "builder")]
    assert vendor.visibility == "SHARED"


def test_delete_image_resolves_standing_findings_once_the_image_is_gone() -> None:
    w = world()
    image = ImageRef(account_id=OWNER, region=REGION, name="dev-tools")
    w.ledger.put_announced(announce(None, image, [_verdict()], T0).state)  # type: ignore[arg-type]
    params = {"name": "dev-tools"}

    result = w.enforcer.handle(envelope("DeleteImage", params, event_id="ev-del"))

    assert "standing findings resolved" in result.note
    (item,) = w.ledger.outbox_of("violation_resolved")
    assert "image deleted by" in item.payload["details"]["cause"]
    state = w.ledger.get_announced(image.arn)
    assert state is not None
    assert state.findings == {}


def test_a_refused_delete_leaves_the_findings_standing() -> None:
    w = world()
    image = w.appstream.seed(ImageRef(account_id=OWNER, region=REGION, name="dev-tools")).ref
    ledger: FakeLedger = w.ledger
    ledger.put_announced(announce(None, image, [_verdict()], T0).state)  # type: ignore[arg-type]

    w.enforcer.handle(envelope("DeleteImage", {"name": "dev-tools"}, event_id="ev-del"))

    assert ledger.outbox_of("violation_resolved") == []
    state = ledger.get_announced(image.arn)
    assert state is not None
    assert state.findings != {}
