"""A finished copy's drift (tags, shares) and who made an image holding a golden name."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.ledger.records.events import EventRecord
from govbot.replicator.conflicts import find_maker
from govbot.replicator.plan import TAG_COPIED_AT, TAG_SOURCE_ARN, TAG_SOURCE_REGION
from govbot.replicator.upkeep import share_drift, tag_drift

ACCOUNT = "123456789012"
NOW = datetime(2026, 11, 2, tzinfo=UTC)
SOURCE = ImageRef(account_id=ACCOUNT, region="us-east-1", name="Finance-Golden-1")
COPY = ImageRef(account_id=ACCOUNT, region="eu-west-1", name="Finance-Golden-1")


def share(account: str, *, fleet: bool = True, builder: bool = False) -> SharedAccountPermission:
    return SharedAccountPermission(
        account_id=account, permissions=Permissions(allow_fleet=fleet, allow_image_builder=builder)
    )


def provenance(copied_at: str = "2026-11-01T00:00:00+00:00") -> dict[str, str]:
    return {
        TAG_SOURCE_ARN: SOURCE.arn,
        TAG_SOURCE_REGION: "us-east-1",
        TAG_COPIED_AT: copied_at,
    }


def test_an_unchanged_copy_has_no_drift() -> None:
    source = ImageSnapshot(ref=SOURCE, tags={"team": "finance"})
    copy = ImageSnapshot(ref=COPY, tags={"team": "finance", **provenance()})
    drift = tag_drift(source, copy, NOW)
    assert (drift.put, drift.remove) == ({}, ())
    assert share_drift([share("111111111111")], [share("111111111111")]).describe() == []


def test_tag_drift_restores_changed_and_missing_tags_and_removes_extras() -> None:
    source = ImageSnapshot(ref=SOURCE, tags={"team": "finance", "cost": "42"})
    tags = {"team": "other", "extra": "x", "aws:reserved": "y", **provenance()}
    del tags[TAG_SOURCE_ARN]
    copy = ImageSnapshot(ref=COPY, tags=tags)
    drift = tag_drift(source, copy, NOW)
    assert drift.put == {"team": "finance", "cost": "42", TAG_SOURCE_ARN: SOURCE.arn}
    assert drift.remove == ("extra",)  # aws: tags are AppStream's, never touched
    assert "tag extra removed (not on the source)" in drift.describe()


def test_copied_at_keeps_its_value_and_is_restored_when_missing() -> None:
    source = ImageSnapshot(ref=SOURCE)
    later = provenance("2026-11-01T09:30:00+00:00")
    assert tag_drift(source, ImageSnapshot(ref=COPY, tags=later), NOW).put == {}
    created = NOW - timedelta(days=1)
    missing = {k: v for k, v in later.items() if k != TAG_COPIED_AT}
    drift = tag_drift(source, ImageSnapshot(ref=COPY, tags=missing), created)
    assert drift.put == {TAG_COPIED_AT: created.isoformat(timespec="seconds")}


def test_share_drift_adds_changes_and_removes() -> None:
    kept = [share("111111111111", builder=True), share("222222222222")]
    actual = [share("111111111111"), share("333333333333")]
    drift = share_drift(kept, actual)
    assert [s.account_id for s in drift.put] == ["111111111111", "222222222222"]
    assert drift.remove == ("333333333333",)


def _copy_event(destination: str, name: str, actor: str, event_id: str) -> EventRecord:
    raw = {
        "detail": {
            "eventName": "CopyImage",
            "requestParameters": {
                "sourceImageName": SOURCE.name,
                "destinationImageName": name,
                "destinationRegion": destination,
            },
        }
    }
    return EventRecord(
        event_id=event_id,
        event_name="CopyImage",
        status="processed",
        actor_arn=actor,
        image_arn=SOURCE.arn,
        occurred_at=NOW,
        raw=json.dumps(raw),
    )


def test_the_maker_is_the_actor_of_the_copy_that_made_the_image() -> None:
    events = [
        _copy_event("us-west-2", COPY.name, "arn:aws:iam::1:user/carol", "ev-1"),
        _copy_event("eu-west-1", "Other-Name", "arn:aws:iam::1:user/dave", "ev-2"),
        _copy_event("eu-west-1", COPY.name, "arn:aws:iam::1:user/bob", "ev-3"),
    ]
    maker = find_maker(COPY, [], events)
    assert (maker.actor_arn, maker.event_id) == ("arn:aws:iam::1:user/bob", "ev-3")
    assert "user/bob" in maker.describe()


def test_the_maker_of_a_built_image_and_the_unknown_maker() -> None:
    built = EventRecord(
        event_id="ev-9",
        event_name="CreateImage",
        status="processed",
        actor_arn="arn:aws:sts::1:assumed-role/builder/x",
        image_arn=COPY.arn,
        occurred_at=NOW,
    )
    assert find_maker(COPY, [built], []).actor_arn == "arn:aws:sts::1:assumed-role/builder/x"
    unknown = find_maker(COPY, [], [_copy_event("us-west-2", COPY.name, "a", "ev-1")])
    assert unknown.actor_arn is None
    assert unknown.describe().startswith(f"account {ACCOUNT}")
