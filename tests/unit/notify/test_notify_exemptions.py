"""Ledger exemptions convert to the policy engine's model."""

from __future__ import annotations

from datetime import timedelta

from govbot.actions.exemptions import build_exemption, exemption_id_for
from govbot.governance import to_policy_exemptions
from govbot.ledger.records import ExemptionRecord
from tests.unit.notify.builders import APPROVER, IMAGE_ARN, STRANGER, T0


def test_conversion_keeps_target_account_permission_and_expiry():
    record = build_exemption(
        image_arn=IMAGE_ARN,
        account_id=STRANGER,
        permission="fleet",
        days=2,
        approver=APPROVER,
        reason="demo",
        now=T0,
    )
    (ex,) = to_policy_exemptions([record])
    assert ex.images.names == ("golden-web",)
    assert (ex.account, ex.permission, ex.approver) == (STRANGER, "fleet", APPROVER)
    assert ex.expires == T0 + timedelta(days=2)
    assert ex.id == exemption_id_for(IMAGE_ARN, STRANGER, "fleet")


def test_star_permission_and_selector_and_inactive_records():
    base = {
        "account_id": STRANGER,
        "reason": "r",
        "approver": APPROVER,
        "expires_at": T0 + timedelta(days=1),
    }
    star = ExemptionRecord(exemption_id="EX#weird id", image_selector="golden-*", **base)
    revoked = ExemptionRecord(exemption_id="x", image_arn=IMAGE_ARN, status="revoked", **base)
    (ex,) = to_policy_exemptions([star, revoked])
    assert ex.permission == "any"
    assert ex.images.names == ("golden-*",)
    assert ex.id.startswith("slack-")


def test_a_record_that_does_not_fit_is_skipped_and_reported():
    bad = ExemptionRecord(
        exemption_id="x",
        image_arn=IMAGE_ARN,
        account_id="not-an-account",
        reason="r",
        approver=APPROVER,
        expires_at=T0 + timedelta(days=1),
    )
    errors: list[str] = []
    assert to_policy_exemptions([bad], on_error=lambda r, e: errors.append(str(e))) == []
    assert "exemption 'x' does not convert" in errors[0]
    assert "account" in errors[0]
