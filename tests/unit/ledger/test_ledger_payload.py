"""The outbox payload model: producers write it, the notifier reads the same model back."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from govbot.kinds import kind_names, kind_spec
from govbot.ledger.keys import outbox_id_for
from govbot.ledger.records import OutboxItem
from govbot.ledger.records.details import DriftDetails, RejectedDetails
from govbot.ledger.records.payload import (
    DriftFound,
    EventRejected,
    ExposureWindow,
    OutboxPayload,
    ViolationRemedied,
)
from govbot.notifier.model import MAX_PROBLEMS, PayloadError, parse_payload
from govbot.notifier.render import render

T0 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_an_item_from_a_payload_stores_only_the_fields_set_and_reads_back_equal() -> None:
    payload = EventRejected(
        severity="low",
        summary="govbot rejected an event it could not handle",
        details=RejectedDetails(reason="bad", ledger_id="REJ-1"),
    )
    item = OutboxItem.from_payload(payload, discriminators=("REJ-1",))
    assert item.outbox_id == outbox_id_for("event_rejected", "REJ-1")
    assert (item.message_kind, item.severity) == ("event_rejected", "low")
    assert item.payload == {
        "message_kind": "event_rejected",
        "severity": "low",
        "summary": "govbot rejected an event it could not handle",
        "details": {"reason": "bad", "ledger_id": "REJ-1"},
    }
    parsed = parse_payload(json.dumps(item.payload), outbox_id=item.outbox_id)
    assert type(parsed) is EventRejected
    assert parsed == payload


def test_extra_fields_are_kept_for_the_notifier() -> None:
    payload = DriftFound(event_name="DriftSweep", details=DriftDetails(run="r-1"))
    item = OutboxItem.from_payload(payload, discriminators=("run",))
    assert item.payload["event_name"] == "DriftSweep"
    parsed = parse_payload(item.payload)
    assert parsed.model_extra == {"event_name": "DriftSweep"}
    assert isinstance(parsed, DriftFound)
    assert parsed.details.model_extra == {"run": "r-1"}


def test_an_unknown_kind_is_refused_where_the_payload_is_written_and_where_it_is_read() -> None:
    with pytest.raises(ValueError, match="message_kind"):
        ViolationRemedied(message_kind="violation_maybe")
    with pytest.raises(PayloadError) as read:
        parse_payload({"message_kind": "violation_maybe"}, outbox_id="x")
    assert str(read.value).startswith("outbox x: field 'message_kind' is 'violation_maybe'")
    assert "violation_remedied" in str(read.value)  # the kinds expected are listed


def test_every_message_kind_has_exactly_one_payload_class() -> None:
    members = get_args(get_args(OutboxPayload)[0])
    kinds = [get_args(m.model_fields["message_kind"].annotation)[0] for m in members]
    assert sorted(kinds) == sorted(kind_names())
    for member, kind in zip(members, kinds, strict=True):
        assert type(parse_payload({"message_kind": kind})) is member
        spec = kind_spec(kind)
        assert spec is not None
        assert spec.payload is member


def test_details_of_the_wrong_shape_name_the_field_and_what_was_expected() -> None:
    bad = {
        "message_kind": "violation_remedied",
        "details": {"changes": [{"operation": "DeleteImagePermissions", "status": 3}]},
    }
    with pytest.raises(PayloadError) as exc:
        parse_payload(bad, outbox_id="ob-7")
    text = str(exc.value)
    assert text.startswith("outbox ob-7: invalid violation_remedied payload (")
    assert "details.changes.0.status: Input should be a valid string (got 3)" in text
    with pytest.raises(PayloadError, match=r"details\.fleets: Input should be a valid list"):
        parse_payload({"message_kind": "stop_sharing_impact", "details": {"fleets": "fleet-a"}})
    with pytest.raises(PayloadError, match=r"details: Input should be a valid dictionary"):
        parse_payload({"message_kind": "drift_found", "details": ["not", "a", "mapping"]})


def test_many_problems_are_listed_up_to_a_bound_and_counted() -> None:
    details = {"violations": [{"account_id": n} for n in range(8)]}
    with pytest.raises(PayloadError) as exc:
        parse_payload({"message_kind": "violation_audit", "details": details})
    assert str(exc.value).count("Input should be a valid string") == MAX_PROBLEMS
    assert str(exc.value).endswith(f"; ...and {8 - MAX_PROBLEMS} more)")


# A violation_remedied payload exactly as the enforcer stored it before details were typed
# (captured from the producer on main): items already in ledgers must still render.
STORED_BEFORE_TYPING = {
    "message_kind": "violation_remedied",
    "severity": "high",
    "image_arn": "arn:aws:appstream:us-east-1:111111111111:image/golden-web",
    "image_name": "golden-web",
    "region": "us-east-1",
    "account_id": "111111111111",
    "actor_arn": "arn:aws:iam::111111111111:user/mallory",
    "event_id": "evt-1",
    "event_name": "UpdateImagePermissions",
    "occurred_at": "2026-11-27T16:00:00.000Z",
    "shared_account_ids": ["999999999999"],
    "rule_ids": ["builder-trusted-only"],
    "summary": "govbot removed forbidden permissions of golden-web",
    "details": {
        "changes": [
            {
                "account_id": "999999999999",
                "operation": "DeleteImagePermissions",
                "before": {"allow_fleet": False, "allow_image_builder": True},
                "after": {"allow_fleet": False, "allow_image_builder": False},
                "rule_ids": ["builder-trusted-only"],
                "reasons": ["untrusted builder"],
                "status": "succeeded",
                "error": None,
                "exposure_window": {
                    "granted_at": "2026-11-27T16:00:00.000Z",
                    "revoked_at": "2026-11-27T16:00:42.000Z",
                    "seconds": 42.0,
                },
            }
        ],
        "violations": [
            {
                "account_id": "999999999999",
                "permission": "image_builder",
                "rule_id": "builder-trusted-only",
            }
        ],
        "action": "DeleteImagePermissions for 999999999999: succeeded",
        "granted_at": "2026-11-27T16:00:00.000Z",
        "revoked_at": "2026-11-27T16:00:42.000Z",
        "builder_warning": "Image-builder access lets the account build its own images.",
        "builder_exposure": [
            {"account_id": "999999999999", "text": "held it 42 s", "builders": None}
        ],
        "fleet_impact": None,
    },
}


def test_a_payload_stored_before_details_were_typed_still_parses_and_renders() -> None:
    parsed = parse_payload(json.dumps(STORED_BEFORE_TYPING), outbox_id="ob-old")
    assert isinstance(parsed, ViolationRemedied)
    change = parsed.details.changes[0]
    assert (change.status, change.before.allow_image_builder) == ("succeeded", True)
    assert change.exposure_window is not None
    assert change.exposure_window.seconds == 42.0
    assert parsed.details.builder_exposure is not None
    assert parsed.details.builder_exposure[0].builders is None
    # Re-storing it changes nothing a reader sees (same JSON, same model).
    again = OutboxItem.from_payload(parsed, discriminators=("evt-1", "remedied"))
    assert parse_payload(again.payload) == parsed
    text = json.dumps(render(parsed, "ob-old").blocks)
    assert "(0m 42s)" in text
    assert "held it 42 s" in text


def test_importing_the_payload_models_builds_nothing() -> None:
    code = (
        "import govbot.ledger.records.payload as p\n"
        "assert not p.ViolationRemedied.__pydantic_complete__\n"
        "assert not p.RemediedDetails.__pydantic_complete__\n"
        "assert p.payload_adapter.cache_info().currsize == 0\n"
        "p.parse_outbox_payload({'message_kind': 'drift_found'})\n"
        "assert p.payload_adapter.cache_info().currsize == 1\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_exposure_window_known_and_unknown_grant() -> None:
    known = ExposureWindow.between(T0, T0 + timedelta(minutes=1, seconds=5))
    assert known.as_json() == {
        "granted_at": "2026-11-27T16:00:00.000Z",
        "revoked_at": "2026-11-27T16:01:05.000Z",
        "seconds": 65.0,
    }
    assert known.text() == "2026-11-27T16:00:00.000Z → 2026-11-27T16:01:05.000Z (1m 5s)"
    unknown = ExposureWindow.between(None, T0, note="granted earlier")
    assert unknown.as_json() == {
        "granted_at": None,
        "revoked_at": "2026-11-27T16:00:00.000Z",
        "seconds": None,
        "note": "granted earlier",
    }
    assert unknown.text() is None
