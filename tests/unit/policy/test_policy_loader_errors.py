"""Every kind of bad policy gets a precise, one-line-per-problem message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from govbot.policy import PolicyError
from govbot.policy.loader import load_policy, parse_policy

SRC = "policies/prod.yaml"
HEAD = "version: 1\nmode: audit\n"
EMPTY = "the policy is empty; expected a mapping that starts with 'version: 1'"
NOT_MAPPING = "expected a mapping at the top level (version, mode, rules, ...),"


def problems(text: str) -> list[str]:
    """The lines of the PolicyError raised for ``text``."""
    with pytest.raises(PolicyError) as caught:
        parse_policy(textwrap.dedent(text), SRC)
    assert caught.value.source == SRC
    assert str(caught.value).splitlines() == [f"{SRC}: {p}" for p in caught.value.problems]
    return list(caught.value.problems)


def test_account_id_error_names_file_path_and_value() -> None:
    text = HEAD + textwrap.dedent("""\
        rules:
          - {id: a, type: never_share}
          - {id: b, type: never_share}
          - id: c
            type: fleet_only_for_listed
            accounts: [12345]
        """)
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, SRC)
    assert str(caught.value) == (
        "policies/prod.yaml: rules[2].accounts[0]: expected a 12-digit AWS account id, "
        "got '12345' (line 8)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the policy is empty; expected a mapping that starts with 'version: 1'"),
        (
            "# only a comment\n",
            "the policy is empty; expected a mapping that starts with 'version: 1'",
        ),
        (
            "- a\n- b\n",
            "expected a mapping at the top level (version, mode, rules, ...), got a list",
        ),
        (
            "hello\n",
            f"{NOT_MAPPING} got a single value 'hello'",
        ),
    ],
)
def test_empty_and_non_mapping_documents(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_yaml_syntax_error_has_line_and_column() -> None:
    text = HEAD + "rules:\n  - id: a\n   type: never_share\n"
    assert problems(text) == [
        "line 5, column 4: invalid YAML: expected <block end>, but found "
        "'<block mapping start>' (while parsing a block collection at line 4, column 3)"
    ]


def test_tab_indentation_is_a_syntax_error() -> None:
    assert problems("version: 1\n\tmode: audit\n") == [
        "line 2, column 1: invalid YAML: found character '\\t' that cannot start any token"
    ]


def test_duplicate_yaml_key_is_an_error_not_last_wins() -> None:
    assert problems("version: 1\nmode: audit\nmode: enforce\n") == [
        "line 3, column 1: invalid YAML: duplicate key 'mode' "
        "(while reading a mapping at line 1, column 1)"
    ]


def test_several_documents_are_rejected() -> None:
    assert problems("version: 1\n---\nmode: audit\n") == [
        "line 2, column 1: invalid YAML: found another document "
        "(expected a single document in the stream at line 1, column 1)"
    ]


def test_missing_required_top_level_keys() -> None:
    assert problems("rules: []\n") == [
        "version: required key is missing (line 1)",
        "mode: required key is missing (line 1)",
    ]


def test_unsupported_version() -> None:
    assert problems("version: 2\nmode: audit\n") == [
        "version: unsupported policy version 2; this govbot reads version 1 (line 1)"
    ]


def test_version_not_a_number() -> None:
    assert problems("version: one\nmode: audit\n") == [
        "version: expected a whole number, got 'one' (line 1)"
    ]


def test_bad_mode_suggests_the_close_value() -> None:
    assert problems("version: 1\nmode: enforced\n") == [
        "mode: expected 'audit' or 'enforce', got 'enforced' (did you mean 'enforce'?) (line 2)"
    ]


def test_unknown_top_level_key_with_hint() -> None:
    assert problems(HEAD + "exemption: []\n") == [
        "exemption: unknown key (did you mean 'exemptions'?) (line 3)"
    ]


def test_unknown_key_without_close_match_lists_allowed_keys() -> None:
    assert problems(HEAD + "organization: {zzz: 1}\n") == [
        "organization.zzz: unknown key; expected one of: trust_member_accounts, cache_seconds "
        "(line 3)"
    ]


def test_typo_in_rule_key_is_an_error_not_silently_ignored() -> None:
    text = HEAD + "rules:\n  - id: a\n    type: fleet_only_for_listed\n    acounts: []\n"
    assert problems(text) == [
        "rules[0].accounts: required key is missing (line 4)",
        "rules[0].acounts: unknown key (did you mean 'accounts'?) (line 6)",
    ]


def test_typo_in_selector_key() -> None:
    text = HEAD + "rules:\n  - id: a\n    type: never_share\n    images: {namez: [x]}\n"
    assert problems(text) == ["rules[0].images.namez: unknown key (did you mean 'names'?) (line 6)"]


def test_unknown_rule_type_with_hint() -> None:
    assert problems(HEAD + "rules:\n  - id: a\n    type: never_shared\n") == [
        "rules[0].type: unknown rule type 'never_shared' (did you mean 'never_share'?); "
        "expected one of 'no_image_builder_for_untrusted', 'fleet_only_for_listed', "
        "'never_share', 'max_shared_accounts', 'inbound_only_from_trusted', 'no_export', "
        "'exported_ami_launch_only_trusted', 'imported_image_trusted', 'builder_agent_access', "
        "'compute_security_settings' (line 5)"
    ]


def test_missing_rule_type() -> None:
    assert problems(HEAD + "rules:\n  - id: a\n") == [
        "rules[0].type: required key is missing (one of 'no_image_builder_for_untrusted', "
        "'fleet_only_for_listed', 'never_share', 'max_shared_accounts', "
        "'inbound_only_from_trusted', 'no_export', 'exported_ami_launch_only_trusted', "
        "'imported_image_trusted', 'builder_agent_access', 'compute_security_settings') "
        "(line 4)"
    ]


def test_rule_that_is_not_a_mapping() -> None:
    assert problems(HEAD + "rules:\n  - just-a-string\n") == [
        "rules[0]: expected a mapping, got 'just-a-string' (line 4)"
    ]


def test_empty_list_section_suggests_brackets() -> None:
    assert problems(HEAD + "rules:\n") == [
        "rules: expected a list, got null (write [] for an empty list) (line 3)"
    ]


def test_duplicate_rule_and_exemption_ids() -> None:
    text = HEAD + textwrap.dedent("""\
        rules:
          - {id: a, type: never_share}
          - {id: a, type: never_share}
        exemptions:
          - &e {id: x, images: {}, account: "123456789012", permission: any, reason: r,
                approver: U123, expires: "2030-01-01T00:00:00Z"}
          - *e
        """)
    assert problems(text) == [
        "rules[1].id: duplicate id 'a' (already used by rules[0]) (line 5)",
        "exemptions[1].id: duplicate id 'x' (already used by exemptions[0]) (line 7)",
    ]


def test_duplicate_trusted_account_and_route_and_approver() -> None:
    text = HEAD + textwrap.dedent("""\
        trusted_accounts: ["111111111111", {id: "111111111111", name: again}]
        approvers: [U0AAA, U0AAA]
        notifications:
          routes:
            - {name: default, webhook: a}
            - {name: default, webhook: b}
        """)
    assert problems(text) == [
        "trusted_accounts[1].id: duplicate id '111111111111' "
        "(already used by trusted_accounts[0]) (line 3)",
        "notifications.routes[1].name: duplicate name 'default' "
        "(already used by notifications.routes[0]) (line 8)",
        "approvers[1]: duplicate entry 'U0AAA' (already used by approvers[0]) (line 4)",
    ]


def test_exemption_field_errors() -> None:
    text = HEAD + textwrap.dedent("""\
        exemptions:
          - id: e
            images: {}
            account: "123456789012"
            permission: both
            reason: ""
            approver: x
            expires: 2026-01-01
        """)
    assert problems(text) == [
        "exemptions[0].permission: expected 'fleet', 'image_builder' or 'any', got 'both' (line 7)",
        "exemptions[0].reason: expected a non-empty string, got '' (line 8)",
        "exemptions[0].expires: expected an ISO-8601 datetime with a timezone "
        "(e.g. 2026-12-31T23:59:59Z), got '2026-01-01' (line 10)",
    ]


def test_exemption_naive_datetime_is_rejected() -> None:
    text = HEAD + textwrap.dedent("""\
        exemptions:
          - {id: e, images: {}, account: "123456789012", permission: any, reason: r,
             approver: x, expires: "2026-01-01T00:00:00"}
        """)
    assert problems(text) == [
        "exemptions[0].expires: expected an ISO-8601 datetime with a timezone "
        "(e.g. 2026-12-31T23:59:59Z), got '2026-01-01T00:00:00' (line 5)"
    ]


def test_exemption_naming_an_unknown_rule() -> None:
    text = HEAD + textwrap.dedent("""\
        rules: [{id: cap, type: max_shared_accounts, max: 3}]
        exemptions:
          - {id: e, images: {}, account: "123456789012", permission: any, reason: r,
             approver: x, expires: "2030-01-01T00:00:00Z", rules: [nope]}
        """)
    assert problems(text) == [
        "exemptions[0].rules[0]: no rule has id 'nope' (rule ids: cap) (line 6)"
    ]


def test_approver_must_be_a_slack_user_id() -> None:
    assert problems(HEAD + "approvers: [bob]\n") == [
        "approvers[0]: expected a Slack user id like 'U012ABCDEF', got 'bob' (line 3)"
    ]


def test_golden_errors() -> None:
    text = HEAD + textwrap.dedent("""\
        golden:
          - id: g
            images: {}
            source_region: us-west-2
            destinations: [us-east-1, US-EAST-1]
            retention: {keep: 0}
          - id: h
            images: {}
            source_region: us-west-2
            destinations: []
          - id: i
            images: {}
            source_region: us-west-2
            destinations: [eu-west-1, eu-west-1]
        """)
    assert problems(text) == [
        "golden[0].destinations[1]: expected an AWS region name like 'us-east-1', "
        "got 'US-EAST-1' (line 7)",
        "golden[0].retention.keep: expected a number >= 1, got '0' (line 8)",
        "golden[1].destinations: expected at least 1 entry, got 0 (line 12)",
        "golden[2].destinations: region 'eu-west-1' is listed more than once (line 16)",
    ]


def test_golden_source_region_is_required_and_never_a_destination() -> None:
    text = HEAD + textwrap.dedent("""        golden:
          - id: g
            images: {names: ["Finance-Golden-*"]}
            destinations: [us-west-2]
          - id: h
            images: {}
            source_region: us-west-2
            source_account: "12"
            destinations: [us-west-2, eu-west-1]
        """)
    assert problems(text) == [
        "golden[0].source_region: required key is missing; expected the region where this "
        "golden rule's source images live, e.g. us-east-1 (only images there are copied; it "
        "must not be one of the destinations) (line 4)",
        "golden[1].source_account: expected a 12-digit AWS account id, got '12' (line 10)",
    ]
    text = HEAD + textwrap.dedent("""        golden:
          - id: h
            images: {}
            source_region: us-west-2
            destinations: [us-west-2, eu-west-1]
        """)
    assert problems(text) == [
        "golden[0]: source_region us-west-2 is also listed in destinations; a golden "
        "source's own region is never a destination (line 4)",
    ]


def test_replication_template_placeholder() -> None:
    text = HEAD + "replication:\n  destination_name_template: '{nam}-copy'\n"
    assert problems(text) == [
        "replication.destination_name_template: unknown placeholder {nam}; "
        "allowed: {name}, {region}, {source_region} (line 4)"
    ]


def test_replication_template_must_yield_a_valid_name() -> None:
    text = HEAD + "replication:\n  destination_name_template: '{name} copy'\n"
    assert problems(text) == [
        "replication.destination_name_template: template '{name} copy' does not produce "
        "a valid image name (line 4)"
    ]


def test_route_kind_and_severity() -> None:
    text = HEAD + textwrap.dedent("""\
        notifications:
          routes:
            - name: a
              kinds: [violation_remedy]
              min_severity: urgent
              webhook: w
        """)
    assert problems(text) == [
        "notifications.routes[0].kinds[0]: expected 'violation_remedied', 'violation_audit', "
        "'violation_resolved', 'violation_reminder', 'inbound_image_used', 'stop_sharing_impact', "
        "'golden_copy_completed', 'golden_copy_failed', 'golden_source_deleted', "
        "'golden_name_taken', 'drift_found', 'exemption_granted', 'exemption_expired' or "
        "'event_rejected', got 'violation_remedy' (did you mean 'violation_remedied'?) (line 6)",
        "notifications.routes[0].min_severity: expected 'info', 'low', 'medium', 'high' or "
        "'critical', got 'urgent' (line 7)",
    ]


def test_booleans_numbers_and_strings() -> None:
    text = HEAD + textwrap.dedent("""\
        organization: {trust_member_accounts: maybe, cache_seconds: soon}
        rules:
          - {id: a, type: max_shared_accounts, max: -1}
          - {id: 'a#b', type: never_share, images: {tags: {env: true}}}
        """)
    assert problems(text) == [
        "organization.trust_member_accounts: expected true or false, got 'maybe' (line 3)",
        "organization.cache_seconds: expected a whole number, got 'soon' (line 3)",
        "rules[0].max: expected a number >= 0, got '-1' (line 5)",
        "rules[1].id: expected an id of letters, digits, '.', '_' or '-' (at most 64, no '#'), "
        "got 'a#b' (line 6)",
        "rules[1].images.tags.env: expected a string, got true (line 6)",
    ]


def test_trusted_account_entries() -> None:
    text = HEAD + "trusted_accounts: ['111111111111', {id: '222222222222', nam: x}, 12]\n"
    assert problems(text) == [
        "trusted_accounts[1].nam: unknown key (did you mean 'name'?) (line 3)",
        "trusted_accounts[2].id: expected a 12-digit AWS account id, got '12' (line 3)",
    ]


def test_load_policy_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PolicyError) as caught:
        load_policy(missing)
    assert str(caught.value) == f"{missing}: file not found"


def test_load_policy_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "prod.yaml"
    path.write_text("version: 1\nmode: sometimes\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == (
        f"{path}: mode: expected 'audit' or 'enforce', got 'sometimes' (line 2)"
    )


def test_load_policy_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{path}: cannot read the file: ")
