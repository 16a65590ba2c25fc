"""Pure key, id and time helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govbot.ledger._core import kinds_filter, ts_condition
from govbot.ledger.keys import (
    action_sk,
    copy_job_pk,
    day_of,
    days_between,
    decision_sk,
    ensure_utc,
    event_pk,
    exemption_pk,
    expiry_epoch,
    format_ts,
    outbox_id_for,
    outbox_pk,
    parse_ts,
    rejected_event_id,
    stable_id,
)

T0 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_format_ts_is_utc_with_milliseconds() -> None:
    assert format_ts(T0) == "2026-11-27T16:00:00.000Z"
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 11, 27, 18, 0, 0, 123456, tzinfo=plus_two)
    assert format_ts(local) == "2026-11-27T16:00:00.123Z"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        format_ts(datetime(2026, 11, 27))


@given(st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1)))
def test_ts_round_trips_and_sorts_like_time(value: datetime) -> None:
    text = format_ts(value)
    assert parse_ts(text) == ensure_utc(value)
    later = format_ts(value + timedelta(milliseconds=1))
    assert text < later


def test_parse_ts_names_bad_input() -> None:
    with pytest.raises(ValueError, match="not an ISO-8601 timestamp: 'yesterday'"):
        parse_ts("yesterday")


def test_day_partitions() -> None:
    assert day_of(T0) == "2026-11-27"
    assert days_between(T0, T0 + timedelta(days=2)) == ["2026-11-27", "2026-11-28", "2026-11-29"]
    assert days_between(T0, T0) == ["2026-11-27"]
    with pytest.raises(ValueError, match="reversed"):
        days_between(T0, T0 - timedelta(seconds=1))


def test_expiry_epoch_adds_retention() -> None:
    assert expiry_epoch(T0, 1) == int(T0.timestamp()) + 86_400
    with pytest.raises(ValueError, match="retention_days must be >= 1"):
        expiry_epoch(T0, 0)


def test_key_layouts_match_the_contract() -> None:
    assert event_pk("abc") == "EVENT#abc"
    assert decision_sk("r1", "222222222222", "fleet") == "DECISION#r1#222222222222#fleet"
    assert action_sk(3, "UpdateImagePermissions") == "ACTION#0003#UpdateImagePermissions"
    assert action_sk(12, "X") > action_sk(3, "X")  # zero padding keeps numeric order
    arn = "arn:aws:appstream:us-east-1:111111111111:image/a"
    assert copy_job_pk(arn, "eu-west-1") == f"COPYJOB#{arn}#eu-west-1"
    # a lone trailing id cannot be ambiguous: '#' is fine there, emptiness is not
    assert exemption_pk("EX#1") == "EXEMPTION#EX#1"
    assert outbox_pk("a#b") == "OUTBOX#a#b"
    with pytest.raises(ValueError, match="event_id must not be empty"):
        event_pk("")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("r#1", "222222222222", "fleet"), "rule_id must not contain '#'"),
        (("r1", "", "fleet"), "account_id must not be empty"),
    ],
)
def test_ambiguous_key_components_are_refused(args: tuple[str, str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decision_sk(*args)


def test_ids_are_deterministic() -> None:
    assert outbox_id_for("drift_found", "a", "b") == outbox_id_for("drift_found", "a", "b")
    assert outbox_id_for("drift_found", "a", "b") != outbox_id_for("drift_found", "ab")
    assert len(stable_id("x")) == 32
    assert rejected_event_id("{}") == (
        "REJECTED#44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    )
    with pytest.raises(ValueError, match="discriminator"):
        outbox_id_for("drift_found")


def test_ts_condition_and_kind_filter() -> None:
    assert ts_condition(None, None) == ("", {})
    expr, values = ts_condition(T0, T0 + timedelta(hours=1))
    assert expr == " AND #ts BETWEEN :start AND :end"
    assert values == {":start": "2026-11-27T16:00:00.000Z", ":end": "2026-11-27T17:00:00.000Z"}
    assert ts_condition(T0, None)[0] == " AND #ts >= :start"
    assert ts_condition(None, T0)[0] == " AND #ts <= :end"
    with pytest.raises(ValueError, match="reversed"):
        ts_condition(T0, T0 - timedelta(days=1))
    assert kinds_filter(None) == (None, {})
    assert kinds_filter(["event", "action"]) == (
        "#kind IN (:kind0, :kind1)",
        {":kind0": "action", ":kind1": "event"},
    )
    with pytest.raises(ValueError, match=r"unknown ledger kinds \['evnt'\]"):
        kinds_filter(["evnt"])
