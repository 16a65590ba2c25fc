"""The policy engine on concrete examples, one behaviour per test."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from govbot.domain import Permissions
from govbot.policy import (
    Exemption,
    ImageSelector,
    allowed_to_propagate,
    apply_changes,
    evaluate,
)
from tests.unit.policy.builders import (
    LISTED,
    NOW,
    ORG_MEMBER,
    OUTSIDER,
    TRUSTED,
    image,
    policy,
    share,
)

BUILDER = """\
trusted_accounts: [{id: "111111111111", name: tools}]
organization: {trust_member_accounts: true}
rules: [{id: builders, type: no_image_builder_for_untrusted}]
"""

FLEET = """\
trusted_accounts: ["111111111111"]
rules:
  - {id: fleet, type: fleet_only_for_listed, accounts: ["222222222222"], images: {names: [prod-*]}}
"""


def outcomes(evaluation: object) -> list[tuple[str, str | None, str | None, str]]:
    return [
        (v.rule_id, v.account_id, v.permission, v.outcome)
        for v in evaluation.verdicts  # type: ignore[attr-defined]
    ]


def test_untrusted_builder_is_revoked_but_fleet_is_kept() -> None:
    result = evaluate(
        image("prod-web", share(OUTSIDER, fleet=True, builder=True)), policy(BUILDER), NOW
    )
    assert outcomes(result) == [("builders", OUTSIDER, "image_builder", "violation")]
    (change,) = result.enforced_changes()
    assert change.account_id == OUTSIDER
    assert change.before == Permissions(allow_fleet=True, allow_image_builder=True)
    assert change.after == Permissions(allow_fleet=True)
    assert change.revoked == {"image_builder"}
    assert not change.deletes_share
    assert change.rule_ids == ("builders",)
    assert change.reasons == (
        "account 999999999999 holds image_builder permission on image prod-web but is not "
        "trusted (not in trusted_accounts, not an organization member)",
    )


def test_trusted_builders_are_allowed_with_the_reason_recorded() -> None:
    snapshot = image("prod-web", share(TRUSTED, builder=True), share(ORG_MEMBER, builder=True))
    result = evaluate(snapshot, policy(BUILDER), NOW, org_accounts=frozenset({ORG_MEMBER}))
    assert [(v.account_id, v.outcome) for v in result.verdicts] == [
        (TRUSTED, "allowed"),
        (ORG_MEMBER, "allowed"),
    ]
    assert result.verdicts[0].reason == (
        "account 111111111111 (tools) holds image_builder permission on image prod-web: "
        "allowed, listed in trusted_accounts"
    )
    assert result.verdicts[1].reason.endswith("allowed, trusted account (organization member)")
    assert result.enforced_changes() == ()


def test_org_members_are_untrusted_when_org_trust_is_off() -> None:
    body = BUILDER.replace("trust_member_accounts: true", "trust_member_accounts: false")
    snapshot = image("x", share(ORG_MEMBER, builder=True))
    result = evaluate(snapshot, policy(body), NOW, org_accounts=frozenset({ORG_MEMBER}))
    assert outcomes(result) == [("builders", ORG_MEMBER, "image_builder", "violation")]
    assert result.verdicts[0].reason.endswith("but is not trusted (not in trusted_accounts)")
    assert result.verdicts[0].severity == "critical"


def test_fleet_only_for_listed_accounts() -> None:
    snapshot = image(
        "prod-web",
        share(LISTED, fleet=True),
        share(TRUSTED, fleet=True),
        share(OUTSIDER, fleet=True, builder=True),
    )
    result = evaluate(snapshot, policy(FLEET), NOW)
    assert outcomes(result) == [
        ("fleet", TRUSTED, "fleet", "violation"),  # trusted is not implicitly listed
        ("fleet", LISTED, "fleet", "allowed"),
        ("fleet", OUTSIDER, "fleet", "violation"),
    ]
    assert result.verdicts[1].reason.endswith("allowed, listed in the accounts of rule fleet")
    changes = {c.account_id: c.after for c in result.enforced_changes()}
    assert changes == {TRUSTED: Permissions(), OUTSIDER: Permissions(allow_image_builder=True)}


def test_fleet_include_trusted_allows_trusted_accounts() -> None:
    body = FLEET.replace('accounts: ["222222222222"]', "accounts: [], include_trusted: true")
    result = evaluate(image("prod-a", share(TRUSTED, fleet=True)), policy(body), NOW)
    assert outcomes(result) == [("fleet", TRUSTED, "fleet", "allowed")]
    assert result.verdicts[0].reason.endswith("allowed, listed in trusted_accounts")


def test_rule_not_selecting_the_image_has_no_verdict() -> None:
    result = evaluate(image("dev-web", share(OUTSIDER, fleet=True)), policy(FLEET), NOW)
    assert result.verdicts == ()
    assert result.enforced_changes() == ()


def test_never_share_revokes_everything_even_for_trusted() -> None:
    body = 'trusted_accounts: ["111111111111"]\nrules: [{id: never, type: never_share}]\n'
    snapshot = image(
        "secret", share(TRUSTED, fleet=True, builder=True), share(OUTSIDER, fleet=True)
    )
    result = evaluate(snapshot, policy(body), NOW)
    assert outcomes(result) == [
        ("never", TRUSTED, "fleet", "violation"),
        ("never", TRUSTED, "image_builder", "violation"),
        ("never", OUTSIDER, "fleet", "violation"),
    ]
    assert all(change.deletes_share for change in result.enforced_changes())
    assert [c.account_id for c in result.enforced_changes()] == [TRUSTED, OUTSIDER]
    assert result.verdicts[0].reason == (
        "account 111111111111 holds fleet permission on image secret but the image must "
        "never be shared"
    )


def test_cap_is_report_only_even_in_enforce_mode() -> None:
    body = "rules: [{id: cap, type: max_shared_accounts, max: 1}]\n"
    snapshot = image("x", share(LISTED, fleet=True), share(OUTSIDER, fleet=True))
    result = evaluate(snapshot, policy(body, mode="enforce"), NOW)
    (verdict,) = result.verdicts
    assert (verdict.account_id, verdict.permission, verdict.outcome) == (None, None, "violation")
    assert verdict.report_only
    assert not verdict.is_enforced
    assert verdict.reason == (
        "image x is shared with 2 accounts, over the cap of 1 (report only: which account to "
        "drop is a human decision)"
    )
    assert result.enforced_changes() == ()
    assert result.audit_violations() == (verdict,)


def test_cap_within_limit_and_unshared_image() -> None:
    body = "rules: [{id: cap, type: max_shared_accounts, max: 2}]\n"
    within = evaluate(image("x", share(LISTED, fleet=True)), policy(body), NOW)
    assert outcomes(within) == [("cap", None, None, "allowed")]
    assert within.verdicts[0].reason == "image x is shared with 1 accounts, within the cap of 2"
    assert evaluate(image("x"), policy(body), NOW).verdicts == ()


def test_audit_mode_reports_but_changes_nothing() -> None:
    result = evaluate(image("x", share(OUTSIDER, builder=True)), policy(BUILDER, mode="audit"), NOW)
    assert [v.mode for v in result.violations()] == ["audit"]
    assert result.enforced_changes() == ()
    assert result.audit_violations() == result.violations()
    assert result.rule_ids() == ("builders",)


def test_rule_mode_overrides_global_mode() -> None:
    body = (
        "rules:\n"
        "  - {id: b, type: no_image_builder_for_untrusted, mode: enforce}\n"
        "  - {id: f, type: fleet_only_for_listed, accounts: [], mode: audit}\n"
    )
    snapshot = image("x", share(OUTSIDER, fleet=True, builder=True))
    result = evaluate(snapshot, policy(body, mode="audit"), NOW)
    assert [(v.rule_id, v.mode) for v in result.violations()] == [("b", "enforce"), ("f", "audit")]
    (change,) = result.enforced_changes()
    assert change.after == Permissions(allow_fleet=True)


def test_several_rules_on_one_account_merge_into_one_minimal_change() -> None:
    body = (
        "rules:\n"
        "  - {id: b, type: no_image_builder_for_untrusted}\n"
        "  - {id: f, type: fleet_only_for_listed, accounts: []}\n"
        "  - {id: n, type: never_share}\n"
    )
    result = evaluate(image("x", share(OUTSIDER, fleet=True, builder=True)), policy(body), NOW)
    (change,) = result.enforced_changes()
    assert change.deletes_share
    assert change.rule_ids == ("b", "f", "n")
    assert len(change.reasons) == 4  # b:builder, f:fleet, n:fleet, n:builder


EXEMPT = (
    BUILDER
    + """\
exemptions:
  - id: vendor
    images: {names: [prod-*]}
    account: "999999999999"
    permission: image_builder
    reason: vendor hardening
    approver: U0SEC
    expires: 2026-07-01T00:00:00Z
"""
)


def test_active_exemption_excuses_the_permission() -> None:
    result = evaluate(image("prod-web", share(OUTSIDER, builder=True)), policy(EXEMPT), NOW)
    (verdict,) = result.verdicts
    assert (verdict.outcome, verdict.exemption_id) == ("exempted", "vendor")
    assert verdict.reason == (
        "account 999999999999 holds image_builder permission on image prod-web but is not "
        "trusted (not in trusted_accounts, not an organization member); exempted by vendor "
        "until 2026-07-01T00:00:00+00:00 (approved by U0SEC: vendor hardening)"
    )
    assert result.enforced_changes() == ()
    assert result.exempted() == (verdict,)


@pytest.mark.parametrize(
    ("name", "now"),
    [
        ("prod-web", datetime.fromisoformat("2026-07-01T00:00:00+00:00")),  # expiry instant
        ("prod-web", NOW + timedelta(days=60)),
        ("dev-web", NOW),  # the exemption's selector does not match
    ],
)
def test_exemption_does_not_apply(name: str, now: datetime) -> None:
    result = evaluate(image(name, share(OUTSIDER, builder=True)), policy(EXEMPT), now)
    assert [(v.outcome, v.exemption_id) for v in result.verdicts] == [("violation", None)]
    assert len(result.enforced_changes()) == 1


def test_exemption_for_another_permission_or_rule_does_not_apply() -> None:
    body = """\
rules:
  - {id: f, type: fleet_only_for_listed, accounts: []}
  - {id: n, type: never_share}
exemptions:
  - {id: e, images: {}, account: "999999999999", permission: fleet, reason: r,
     approver: U0SEC, expires: "2030-01-01T00:00:00Z", rules: [f]}
"""
    result = evaluate(image("x", share(OUTSIDER, fleet=True, builder=True)), policy(body), NOW)
    assert outcomes(result) == [
        ("f", OUTSIDER, "fleet", "exempted"),
        ("n", OUTSIDER, "fleet", "violation"),  # the exemption names rule f only
        ("n", OUTSIDER, "image_builder", "violation"),  # and covers fleet only
    ]
    (change,) = result.enforced_changes()
    assert change.rule_ids == ("n",)


def test_extra_exemptions_from_slack_apply_like_file_ones() -> None:
    granted = Exemption(
        id="slack-1",
        images=ImageSelector(names=("x",)),
        account=OUTSIDER,
        permission="any",
        reason="granted in Slack",
        approver="U0SEC",
        expires=NOW + timedelta(hours=1),
    )
    snapshot = image("x", share(OUTSIDER, builder=True))
    result = evaluate(snapshot, policy(BUILDER), NOW, extra_exemptions=[granted])
    assert [(v.outcome, v.exemption_id) for v in result.verdicts] == [("exempted", "slack-1")]
    later = evaluate(
        snapshot, policy(BUILDER), NOW + timedelta(hours=2), extra_exemptions=[granted]
    )
    assert [v.outcome for v in later.verdicts] == ["violation"]


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(image("x"), policy(BUILDER), datetime(2026, 1, 1))


def test_share_list_is_normalised_sorted_and_merged() -> None:
    snapshot = image(
        "x",
        share(OUTSIDER, fleet=True),
        share(LISTED),  # empty grant: not a share
        share(OUTSIDER, builder=True),
        share(TRUSTED, builder=True),
    )
    result = evaluate(snapshot, policy("rules: [{id: n, type: never_share}]\n"), NOW)
    assert [s.account_id for s in result.shared_with] == [TRUSTED, OUTSIDER]
    assert result.shared_with[1].permissions == Permissions(
        allow_fleet=True, allow_image_builder=True
    )
    assert result.image_arn == "arn:aws:appstream:us-east-1:000000000000:image/x"


def test_apply_changes_gives_the_post_remediation_snapshot() -> None:
    snapshot = image("prod-a", share(OUTSIDER, fleet=True, builder=True), share(LISTED, fleet=True))
    pol = policy(BUILDER)
    after = apply_changes(snapshot, evaluate(snapshot, pol, NOW))
    assert after.shared_with == (share(LISTED, fleet=True), share(OUTSIDER, fleet=True))
    assert evaluate(after, pol, NOW).violations() == ()


def test_allowed_to_propagate_drops_violations_whatever_the_mode() -> None:
    body = BUILDER.replace(
        "rules: [{id: builders, type: no_image_builder_for_untrusted}]",
        "rules:\n"
        "  - {id: builders, type: no_image_builder_for_untrusted}\n"
        "  - {id: cap, type: max_shared_accounts, max: 1}\n",
    )
    shares = [
        share(OUTSIDER, fleet=True, builder=True),
        share(TRUSTED, builder=True),
        share(LISTED, builder=True),
    ]
    kept = allowed_to_propagate(image("golden-1"), shares, policy(body, mode="audit"), NOW)
    # The cap (report-only) removes nothing; the untrusted builder grants go.
    assert kept == (share(TRUSTED, builder=True), share(OUTSIDER, fleet=True))


def test_allowed_to_propagate_keeps_exempted_permissions() -> None:
    shares = [share(OUTSIDER, builder=True)]
    assert allowed_to_propagate(image("prod-web"), shares, policy(EXEMPT), NOW) == tuple(shares)
    assert allowed_to_propagate(image("dev-web"), shares, policy(EXEMPT), NOW) == ()
