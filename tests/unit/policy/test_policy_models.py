"""Policy models: shipped files, YAML reading rules, defaults and helper semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from govbot.policy import (
    Exemption,
    ImageSelector,
    Policy,
    Route,
    golden_rules_for,
    severity_at_least,
    validate_policy,
)
from govbot.policy.loader import load_policy
from govbot.policy.rules import MaxSharedAccounts, rule_types
from tests.unit.policy.builders import NOW, image, policy

REPO = Path(__file__).resolve().parents[3]


def test_example_policy_loads_and_documents_every_rule_type() -> None:
    loaded = load_policy(REPO / "policies" / "example.yaml")
    assert {rule.type_name for rule in loaded.rules} == set(rule_types())
    assert loaded.mode == "audit"
    assert loaded.exemptions[0].expires == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert [a.name for a in loaded.trusted_accounts] == ["shared-services", None]


def test_demo_policy_exercises_every_rule_and_section() -> None:
    demo = load_policy(REPO / "policies" / "demo.yaml")
    assert {rule.type_name for rule in demo.rules} == set(rule_types())
    assert {demo.mode_of(rule) for rule in demo.rules} == {"audit", "enforce"}
    assert demo.organization.trust_member_accounts is True
    assert demo.exemptions
    assert demo.golden
    assert demo.approvers


def test_numbers_stay_text_so_account_ids_keep_leading_zeros() -> None:
    # PyYAML's default would read 012345670123 as an octal integer.
    loaded = policy("trusted_accounts: [012345670123, 111111111111]\n")
    assert [a.id for a in loaded.trusted_accounts] == ["012345670123", "111111111111"]


def test_yes_no_on_off_are_text_not_booleans() -> None:
    loaded = policy(
        "rules:\n  - id: a\n    type: never_share\n    images: {tags: {backup: no, ha: on}}\n"
    )
    assert loaded.rules[0].images.tags == {"backup": "no", "ha": "on"}


def test_numbers_where_numbers_are_expected_still_convert() -> None:
    loaded = policy("rules: [{id: cap, type: max_shared_accounts, max: 7}]\n")
    (cap,) = loaded.rules
    assert isinstance(cap, MaxSharedAccounts)
    assert cap.max == 7
    assert loaded.version == 1


def test_defaults_when_sections_are_omitted() -> None:
    loaded = policy("")
    assert loaded.rules == ()
    assert loaded.exemptions == ()
    assert loaded.golden == ()
    assert loaded.organization.trust_member_accounts is False
    assert loaded.organization.cache_seconds == 3600
    assert loaded.replication.max_concurrent_copies_per_region == 2
    assert loaded.replication.max_attempts == 3
    assert loaded.replication.backoff_seconds == 300
    assert loaded.replication.destination_name_template == "{name}"
    assert [(r.name, r.webhook, r.kinds) for r in loaded.notifications.routes] == [
        ("default", "default", ())
    ]
    assert (loaded.notifications.storm.max_messages, loaded.notifications.storm.window_seconds) == (
        20,
        60,
    )


def test_rule_without_images_selects_every_image() -> None:
    loaded = policy("rules: [{id: a, type: never_share}]\n")
    assert loaded.rules[0].images.is_empty()
    assert loaded.rules[0].images.matches("anything", {})


def test_rule_mode_and_severity_resolution() -> None:
    loaded = policy(
        "rules:\n"
        "  - {id: a, type: never_share}\n"
        "  - {id: b, type: no_image_builder_for_untrusted, mode: audit, severity: low}\n",
        mode="enforce",
    )
    assert [loaded.mode_of(r) for r in loaded.rules] == ["enforce", "audit"]
    assert [r.effective_severity() for r in loaded.rules] == ["high", "low"]


def test_models_are_immutable() -> None:
    loaded = policy("")
    with pytest.raises(ValidationError):
        loaded.mode = "enforce"  # type: ignore[misc]


def test_validate_policy_from_a_mapping_has_no_line_numbers() -> None:
    from govbot.policy import PolicyError

    with pytest.raises(PolicyError) as caught:
        validate_policy({"version": 1, "mode": "audit", "rulez": []}, "ssm:/govbot/policy")
    assert str(caught.value) == "ssm:/govbot/policy: rulez: unknown key (did you mean 'rules'?)"
    assert isinstance(validate_policy({"version": 1, "mode": "audit"}), Policy)


@pytest.mark.parametrize(
    ("selector", "name", "tags", "expected"),
    [
        ({}, "x", {}, True),
        ({"names": ["prod-*", "web"]}, "web", {}, True),
        ({"names": ["prod-*"]}, "dev-web", {}, False),
        ({"names": ["prod-*"]}, "PROD-web", {}, False),  # case-sensitive
        ({"tags": {"team": "*"}}, "x", {"team": ""}, True),
        ({"tags": {"team": "*"}}, "x", {}, False),
        ({"tags": {"env": "prod*", "team": "a"}}, "x", {"env": "prod-eu", "team": "a"}, True),
        ({"tags": {"env": "prod*", "team": "a"}}, "x", {"env": "prod-eu", "team": "b"}, False),
        ({"names": ["prod-*"], "exclude_names": ["*-sandbox"]}, "prod-sandbox", {}, False),
        ({"exclude_names": ["tmp-?"]}, "tmp-1", {}, False),
        ({"exclude_names": ["tmp-?"]}, "tmp-12", {}, True),
    ],
)
def test_selector_semantics(
    selector: dict[str, object], name: str, tags: dict[str, str], expected: bool
) -> None:
    assert ImageSelector.model_validate(selector).matches(name, tags) is expected


def test_exemption_expiry_is_exclusive() -> None:
    exemption = Exemption(
        id="e",
        images=ImageSelector(),
        account="123456789012",
        permission="any",
        reason="r",
        approver="U1",
        expires=NOW,
    )
    assert exemption.is_active(NOW - timedelta(seconds=1))
    assert not exemption.is_active(NOW)


def test_trust_helpers() -> None:
    loaded = policy(
        "trusted_accounts: [{id: '111111111111', name: tools}]\n"
        "organization: {trust_member_accounts: true}\n"
        "approvers: [U0AAA]\n"
    )
    assert loaded.trust_reason("111111111111", frozenset()) == "listed in trusted_accounts"
    assert (
        loaded.trust_reason("333333333333", frozenset({"333333333333"}))
        == "trusted account (organization member)"
    )
    assert loaded.trust_reason("999999999999", frozenset({"333333333333"})) is None
    assert loaded.account_label("111111111111") == "account 111111111111 (tools)"
    assert loaded.account_label("999999999999") == "account 999999999999"
    assert loaded.is_approver("U0AAA")
    assert not loaded.is_approver("U0BBB")


def test_org_members_not_trusted_when_switched_off() -> None:
    loaded = policy("organization: {trust_member_accounts: false}\n")
    assert loaded.trust_reason("333333333333", frozenset({"333333333333"})) is None


def test_routes_filter_by_kind_and_severity() -> None:
    loaded = policy(
        "notifications:\n"
        "  routes:\n"
        "    - {name: all, webhook: a}\n"
        "    - {name: sec, webhook: s, kinds: [violation_remedied], min_severity: high}\n"
    )
    names = [r.name for r in loaded.notifications.routes_for("violation_remedied", "critical")]
    assert names == ["all", "sec"]
    assert [r.name for r in loaded.notifications.routes_for("violation_remedied", "medium")] == [
        "all"
    ]
    assert [r.name for r in loaded.notifications.routes_for("drift_found", "critical")] == ["all"]
    assert Route(name="x", webhook="w", min_severity="low").accepts("drift_found", "low")


def test_severity_order() -> None:
    assert severity_at_least("critical", "high")
    assert severity_at_least("info", "info")
    assert not severity_at_least("medium", "high")


def test_destination_name_template() -> None:
    loaded = policy("replication: {destination_name_template: '{name}-{source_region}'}\n")
    assert loaded.replication.destination_name("base", "us-east-1", "eu-west-1") == (
        "base-us-east-1"
    )


def test_golden_rules_for_uses_selector_and_family_prefix() -> None:
    loaded = policy(
        "golden:\n"
        "  - {id: win, images: {names: ['golden-*']}, source_region: us-east-1,\n"
        "     destinations: [eu-west-1], family: golden-win-}\n"
        "  - {id: tagged, images: {tags: {golden: 'true'}}, source_region: us-east-1,\n"
        "     destinations: [eu-west-1]}\n"
    )
    assert [g.id for g in golden_rules_for(image("golden-win-2026"), loaded)] == ["win"]
    assert golden_rules_for(image("golden-linux-1"), loaded) == ()
    both = image("golden-win-1", tags={"golden": "true"})
    assert [g.id for g in golden_rules_for(both, loaded)] == ["win", "tagged"]
