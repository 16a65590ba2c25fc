"""The pure planning functions: targets, names, tags, shares, backoff and copy slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.ledger.records.state import CopyJob
from govbot.policy.judge import EngineInputs
from govbot.policy.loader import parse_policy
from govbot.replicator.plan import (
    TAG_SOURCE_ARN,
    SlotBook,
    backoff,
    candidate_names,
    copy_description,
    golden_targets,
    is_copy_of,
    is_due,
    is_replica,
    plan_shares,
    replica_tags,
    start_order,
    superseded,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ACCOUNT = "123456789012"
POLICY = parse_policy(
    """
version: 1
mode: audit
trusted_accounts: ["111111111111"]
rules:
  - {id: no-untrusted-builders, type: no_image_builder_for_untrusted}
golden:
  - id: by-tag
    images: {tags: {golden: "true"}}
    destinations: [us-west-2, eu-west-1]
  - id: family
    images: {names: ["base-*"]}
    destinations: [eu-west-1, us-east-1]
    family: base-
    retention: {keep: 1}
replication:
  backoff_seconds: 30
  destination_name_template: "{name}"
"""
)


def image(name: str, region: str = "us-east-1", **kwargs: object) -> ImageSnapshot:
    ref = ImageRef(account_id=ACCOUNT, region=region, name=name)
    return ImageSnapshot(ref=ref, **kwargs)


def job(state: str = "queued", **kwargs: object) -> CopyJob:
    return CopyJob(
        source_arn=f"arn:aws:appstream:us-east-1:{ACCOUNT}:image/a",
        destination_region="eu-west-1",
        destination_name="a",
        state=state,
        **kwargs,
    )


def test_targets_merge_rules_and_skip_the_source_region() -> None:
    source = image("base-7", tags={"golden": "true"})
    targets = golden_targets(source, POLICY)
    assert [(t.destination_region, t.rule_ids) for t in targets] == [
        ("eu-west-1", ("by-tag", "family")),
        ("us-west-2", ("by-tag",)),
    ]
    assert all(t.destination_name == "base-7" for t in targets)


def test_replicas_and_unselected_images_have_no_targets() -> None:
    assert golden_targets(image("other"), POLICY) == ()
    copy = image("base-7", region="eu-west-1", tags={TAG_SOURCE_ARN: "arn:x", "golden": "true"})
    assert is_replica(copy)
    assert golden_targets(copy, POLICY) == ()
    untagged_copy = image("base-7", description=copy_description("arn:src"))
    assert is_replica(untagged_copy)
    assert is_copy_of(untagged_copy, "arn:src")
    assert not is_copy_of(untagged_copy, "arn:other")


def test_newest_family_member_supersedes_older_ones() -> None:
    old = image("base-1", created_time=NOW - timedelta(days=2))
    new = image("base-2", created_time=NOW)
    elsewhere = image("base-0", region="us-west-2", created_time=NOW - timedelta(days=9))
    assert superseded([old, new, elsewhere], POLICY) == frozenset({old.ref.arn})


def test_candidate_names_stay_valid_and_deterministic() -> None:
    names = list(candidate_names("x" * 101))
    assert names[0] == "x" * 101
    assert names[1] == "x" * 99 + "-2"
    assert len(names[1]) == 101
    assert names[-1].endswith("-99")
    assert len(names) == 99


def test_replica_tags_add_provenance_and_drop_reserved_and_overflow() -> None:
    tags = {f"k{n:02d}": "v" for n in range(49)} | {"aws:cloudformation:x": "y"}
    source = image("base-1", tags=tags)
    out, left_out = replica_tags(source, NOW)
    assert len(out) == 50
    assert out[TAG_SOURCE_ARN] == source.ref.arn
    assert out["govbot:source-region"] == "us-east-1"
    assert out["govbot:copied-at"] == "2026-03-01T00:00:00+00:00"
    assert not any(k.startswith("aws:") for k in out)
    assert left_out == ["k47", "k48"]


def test_forbidden_permission_is_withheld_with_its_reason() -> None:
    shares = (
        SharedAccountPermission(
            account_id="999999999999",
            permissions=Permissions(allow_fleet=True, allow_image_builder=True),
        ),
        SharedAccountPermission(
            account_id="111111111111",
            permissions=Permissions(allow_fleet=True, allow_image_builder=True),
        ),
    )
    plan = plan_shares(image("base-1", shared_with=shares), EngineInputs(POLICY, NOW))
    kept = {s.account_id: s.permissions for s in plan.kept}
    assert kept["111111111111"] == Permissions(allow_fleet=True, allow_image_builder=True)
    assert kept["999999999999"] == Permissions(allow_fleet=True)
    [dropped] = plan.dropped
    assert (dropped.account_id, dropped.permission) == ("999999999999", "image_builder")
    assert "not trusted" in dropped.reason


@pytest.mark.parametrize(("attempts", "seconds"), [(0, 30), (1, 30), (2, 60), (3, 120)])
def test_backoff_is_exponential(attempts: int, seconds: int) -> None:
    assert backoff(attempts, POLICY.replication) == timedelta(seconds=seconds)


def test_due_jobs_and_exhausted_failures() -> None:
    assert is_due(job(), NOW)
    assert not is_due(job(next_attempt_at=NOW + timedelta(seconds=1)), NOW)
    assert is_due(job("failed", next_attempt_at=NOW), NOW)
    assert not is_due(job("failed", next_attempt_at=None), NOW)


def test_start_order_is_first_come_first_served() -> None:
    late = job(created_at=NOW + timedelta(minutes=5))
    early = job(created_at=NOW).model_copy(update={"destination_region": "us-west-2"})
    retry = job("failed", next_attempt_at=NOW + timedelta(minutes=1)).model_copy(
        update={"destination_region": "ap-south-1"}
    )
    busy = job("copying")
    assert start_order([late, busy, retry, early]) == [early, retry, late]


def test_slot_book_caps_each_region_and_closes_on_limit() -> None:
    in_flight = [job("copying"), job("copying")]
    book = SlotBook(2, in_flight)
    assert not book.take(job())
    book.release(in_flight[0])
    assert book.take(job())
    assert not book.take(job())
    other = job().model_copy(update={"destination_region": "us-west-2"})
    book.close(other)
    assert not book.take(other)
    assert book.in_flight(ACCOUNT, "eu-west-1") == 2
