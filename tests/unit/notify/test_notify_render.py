"""Every message kind renders valid Block Kit that names what people need to act."""

from __future__ import annotations

import json

import pytest

from govbot.kinds import kind_names
from govbot.kinds.common import console_url, exposure_window
from govbot.notifier.blockkit import MAX_BLOCKS, RenderError, validate_blocks
from govbot.notifier.digest import render_digest
from govbot.notifier.model import PayloadError, parse_payload
from govbot.notifier.render import render
from govbot.notifier.storm import DigestWindow
from govbot.slack_buttons import (
    ACTION_GRANT,
    ACTION_GRANT_RESTORE,
    ACTION_REAPPLY,
    decode_button_value,
)
from tests.unit.notify.builders import IMAGE_ARN, STRANGER, payload


def _text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("kind", kind_names())
def test_every_kind_renders_valid_blocks_naming_image_region_accounts_actor_rule(kind: str):
    message = render(parse_payload(payload(kind)), "ob-1")
    validate_blocks(message.blocks)  # slack_sdk parse round trip + message limits
    text = _text(message.blocks)
    for needle in (
        "golden-web",
        "us-east-1",
        STRANGER,
        "mallory",
        "builder-trusted-only",
        console_url("us-east-1"),
        "What govbot did",
    ):
        assert needle in text, f"{kind}: {needle!r} missing"
    assert message.kind == kind
    assert "golden-web" in message.text
    assert len(json.dumps(message.body())) < 40_000


def test_console_url_points_at_the_regions_image_list():
    assert console_url("eu-west-1") == (
        "https://eu-west-1.console.aws.amazon.com/appstream2/home?region=eu-west-1#/images"
    )


def test_violation_remedied_shows_exposure_window_and_builder_warning_and_buttons():
    message = render(parse_payload(payload("violation_remedied")), "ob-7", exemption_days=3)
    text = _text(message.blocks)
    assert "2026-11-27T16:00:00.000Z → 2026-11-27T16:00:42.000Z (0m 42s)" in text
    assert "beyond your control" in text
    buttons = _buttons(message.blocks)
    assert [b["action_id"] for b in buttons] == [ACTION_GRANT, ACTION_GRANT_RESTORE, ACTION_REAPPLY]
    assert buttons[0]["text"]["text"] == "Grant exemption (3 days)"
    value = decode_button_value(buttons[0]["value"])
    assert (value.outbox_id, value.image_arn, value.account_id, value.permission, value.days) == (
        "ob-7",
        IMAGE_ARN,
        STRANGER,
        "image_builder",
        3,
    )
    assert decode_button_value(buttons[1]["value"]).restore is True


def test_violation_audit_offers_exemption_and_revoke_now_without_restore():
    message = render(parse_payload(payload("violation_audit")), "ob-8")
    labels = [b["text"]["text"] for b in _buttons(message.blocks)]
    assert labels == ["Grant exemption (7 days)", "Revoke now"]
    assert "audit mode" in _text(message.blocks)


def test_fleet_only_violation_has_no_builder_warning():
    details = {
        "violations": [{"account_id": STRANGER, "permission": "fleet"}],
        "granted_at": "2026-11-27T16:00:00Z",
        "revoked_at": "2026-11-27T17:02:03Z",
    }
    message = render(parse_payload(payload("violation_remedied", details=details)), "ob-9")
    text = _text(message.blocks)
    assert "beyond your control" not in text
    assert "(1h 2m 3s)" in text


def test_violation_pairs_fall_back_to_shared_accounts_and_permissions():
    details = {"permissions": ["fleet", "image_builder"]}
    p = payload(
        "violation_remedied", shared_account_ids=[STRANGER, "333333333333"], details=details
    )
    values = [
        decode_button_value(b["value"])
        for b in _buttons(render(parse_payload(p), "o").blocks)
        if b["action_id"] == ACTION_GRANT
    ]
    assert {(v.account_id, v.permission) for v in values} == {
        (STRANGER, "fleet"),
        (STRANGER, "image_builder"),
        ("333333333333", "fleet"),
        ("333333333333", "image_builder"),
    }


def test_stop_sharing_impact_says_fleets_drop_to_capacity_zero():
    text = _text(render(parse_payload(payload("stop_sharing_impact")), "o").blocks)
    assert "desired capacity set to *0*" in text
    assert "fleet-a" in text


def test_unknown_exposure_window_is_reported_as_unknown():
    assert exposure_window(None, "2026-11-27T16:00:00Z") is None
    message = render(parse_payload(payload("violation_remedied", details={})), "o")
    assert "*Exposure window:* unknown" in _text(message.blocks)


def test_mrkdwn_is_escaped_and_huge_fields_are_clipped_to_valid_blocks():
    huge = payload(
        "drift_found",
        summary="<!channel> & " + "x" * 10_000,
        shared_account_ids=[f"{n:012d}" for n in range(400)],
        details={"drift": ["<b>"] * 500},
    )
    message = render(parse_payload(huge), "o")
    validate_blocks(message.blocks)
    text = _text(message.blocks)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; &amp;" in text


def test_many_violations_keep_the_message_under_the_block_limit():
    many = [{"account_id": f"{n:012d}", "permission": "fleet"} for n in range(100)]
    message = render(parse_payload(payload("violation_audit", details={"violations": many})), "o")
    assert len(message.blocks) <= MAX_BLOCKS
    validate_blocks(message.blocks)


def test_validate_blocks_refuses_broken_messages():
    with pytest.raises(RenderError, match="at least one block"):
        validate_blocks([])
    with pytest.raises(RenderError, match="at most 50"):
        validate_blocks([{"type": "divider"}] * 51)
    with pytest.raises(RenderError, match="block 0"):
        validate_blocks([{"type": "header", "text": {"type": "plain_text", "text": "x" * 200}}])


def test_payload_errors_name_the_item_and_field():
    with pytest.raises(PayloadError, match="outbox ob-3: field 'payload' is not valid JSON"):
        parse_payload("{nope", outbox_id="ob-3")
    with pytest.raises(PayloadError, match="message_kind"):
        parse_payload({"message_kind": "party"}, outbox_id="ob-4")
    with pytest.raises(PayloadError, match="must be a JSON object"):
        parse_payload("[1]", outbox_id="ob-5")


def test_digest_says_how_many_and_which_kinds_and_images():
    window = DigestWindow(
        route="security",
        webhook="sec",
        start=1_800_000_000,
        window_seconds=60,
        folded=195,
        sent=5,
        kinds={"violation_remedied": 190, "stop_sharing_impact": 5},
        images=tuple(f"img-{n}" for n in range(40)),
    )
    message = render_digest(window)
    validate_blocks(message.blocks)
    text = _text(message.blocks)
    assert "195 messages folded" in text
    assert "violation_remedied x190" in text
    assert "stop_sharing_impact x5" in text
    assert "img-0" in text
    assert "and 25 more" in text
    assert window.digest_id in text
