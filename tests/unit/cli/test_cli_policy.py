"""``govbot policy validate|explain`` on the real policy files and on broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govbot.policy.loader import load_policy
from govbot_cli import CliDeps
from tests.unit.cli.runner import DEMO_POLICY, EXAMPLE_POLICY, run_cli

NOW = "2026-11-27T16:00:00Z"


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- validate --------------------------------------------------------------------------


def test_validate_real_policies() -> None:
    result = run_cli("policy", "validate", DEMO_POLICY, EXAMPLE_POLICY)
    assert result.code == 0, result.err
    example = load_policy(EXAMPLE_POLICY)
    assert result.out.splitlines() == [
        f"OK {DEMO_POLICY} (11 rules, 1 exemptions, 1 golden)",
        f"OK {EXAMPLE_POLICY} ({len(example.rules)} rules, {len(example.exemptions)} "
        f"exemptions, {len(example.golden)} golden)",
    ]
    assert result.err == ""


def test_validate_reports_every_bad_file_and_exits_2(tmp_path: Path) -> None:
    bad_yaml = _write(tmp_path, "bad.yaml", "version: 1\nmode: [enforce\n")
    bad_field = _write(
        tmp_path,
        "field.yaml",
        "version: 1\nmode: enforce\nrules:\n  - id: r1\n    type: fleet_only_for_listed\n"
        "    accounts: ['12345']\n",
    )
    missing = str(tmp_path / "missing.yaml")
    result = run_cli("policy", "validate", DEMO_POLICY, bad_yaml, bad_field, missing)
    assert result.code == 2
    assert result.out.splitlines() == [f"OK {DEMO_POLICY} (11 rules, 1 exemptions, 1 golden)"]
    assert f"INVALID {bad_yaml}" in result.err
    assert f"{bad_yaml}: line 3, column 1: invalid YAML" in result.err
    assert "invalid YAML" in result.err
    # The field path and the expectation, from PolicyError.
    assert f"{bad_field}: rules[0].accounts[0]:" in result.err
    assert "12-digit" in result.err
    assert f"{missing}: file not found" in result.err
    assert "Traceback" not in result.err


def test_validate_empty_file(tmp_path: Path) -> None:
    empty = _write(tmp_path, "empty.yaml", "")
    result = run_cli("policy", "validate", empty)
    assert result.code == 2
    assert "the policy is empty" in result.err


def test_validate_json(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.yaml", "version: 2\nmode: enforce\n")
    result = run_cli("policy", "validate", "--json", DEMO_POLICY, bad)
    assert result.code == 2
    data = json.loads(result.out)
    assert data[0] == {
        "file": DEMO_POLICY, "valid": True, "rules": 11, "exemptions": 1, "golden": 1,
        "warnings": [],
    }  # fmt: skip
    assert data[1]["valid"] is False
    assert any("unsupported policy version 2" in p for p in data[1]["problems"])


def test_validate_needs_a_file() -> None:
    result = run_cli("policy", "validate")
    assert result.code == 2
    assert "govbot policy validate: error: the following arguments are required: FILE" in (
        result.err
    )


# --- explain ---------------------------------------------------------------------------


def test_explain_untrusted_builder_is_a_violation_with_minimal_change() -> None:
    result = run_cli(
        "policy", "explain", DEMO_POLICY, "--image", "app-base",
        "--share", "999999999999:fleet,builder", "--now", NOW,
    )  # fmt: skip
    assert result.code == 1, result.err
    out = result.out
    assert "VIOLATION no-untrusted-builders  account=999999999999 permission=image_builder" in out
    assert "mode=enforce" in out
    # Minimal change: only the builder permission goes, the fleet permission stays.
    assert (
        "account 999999999999: fleet,builder -> fleet: UpdateImagePermissions to fleet, "
        "revokes image_builder (builders and images it already made are not affected); "
        "rules no-untrusted-builders"
    ) in out
    assert "result: 1 violation(s), 0 exempted, 1 change(s)" in out


def test_explain_trusted_and_listed_accounts_are_allowed() -> None:
    result = run_cli(
        "policy", "explain", DEMO_POLICY, "--image", "prod-app",
        "--share", "111111111111:fleet,builder", "--share", "222222222222:fleet", "--now", NOW,
    )  # fmt: skip
    assert result.code == 0, result.out
    assert "VIOLATION" not in result.out
    assert "ALLOWED   prod-fleet-consumers  account=222222222222 permission=fleet" in result.out
    assert "listed in trusted_accounts" in result.out
    assert "changes enforce mode would make: none" in result.out


def test_explain_never_share_by_tag_deletes_the_share() -> None:
    result = run_cli(
        "policy", "explain", DEMO_POLICY, "--image", "payroll",
        "--tag", "classification=confidential", "--share", "111111111111:fleet", "--now", NOW,
    )  # fmt: skip
    assert result.code == 1
    assert "VIOLATION secrets-never-shared" in result.out
    assert "DeleteImagePermissions (stop sharing), revokes fleet" in result.out
    assert "drop to 0 capacity" in result.out  # revoking fleet is disruptive: say so


def test_explain_audit_rule_reports_but_changes_nothing() -> None:
    result = run_cli(
        "policy", "explain", DEMO_POLICY, "--image", "dev-tools",
        "--share", "333333333333:fleet", "--now", NOW,
    )  # fmt: skip
    assert result.code == 1
    assert "VIOLATION audit-fleet-dev" in result.out
    assert "mode=audit" in result.out
    # What enforce mode would do is shown (it was "none" in audit mode), apart from what
    # govbot does as the policy stands: nothing.
    assert "changes enforce mode would make:\n    account 333333333333: fleet -> none" in result.out
    assert "changes govbot makes as the policy stands: none (audit mode)" in result.out
    assert "reported only (audit mode or report-only rules): 1" in result.out


def test_explain_exemption_depends_on_now() -> None:
    args = ("policy", "explain", DEMO_POLICY, "--image", "prod-demo-exempt",
            "--share", "999999999999:builder")  # fmt: skip
    before = run_cli(*args, "--now", NOW)
    assert before.code == 0
    assert "EXEMPTED  no-untrusted-builders" in before.out
    assert "outsider-builds-demo" in before.out
    after = run_cli(*args, "--now", "2099-06-01T00:00:00+00:00")
    assert after.code == 1
    assert "VIOLATION no-untrusted-builders" in after.out


def test_explain_org_account_is_trusted_when_the_policy_says_so() -> None:
    args = ("policy", "explain", DEMO_POLICY, "--image", "app-base",
            "--share", "444444444444:builder", "--now", NOW)  # fmt: skip
    assert run_cli(*args).code == 1
    trusted = run_cli(*args, "--org-account", "444444444444")
    assert trusted.code == 0
    assert "organization member" in trusted.out


def test_explain_cap_is_report_only() -> None:
    result = run_cli(
        "policy", "explain", DEMO_POLICY, "--image", "app-base",
        "--share", "111111111111:fleet", "--share", "222222222222:fleet",
        "--share", "333333333333:fleet", "--now", NOW,
    )  # fmt: skip
    assert result.code == 1
    assert "VIOLATION share-cap  account=- permission=- mode=enforce report-only" in result.out
    assert "changes enforce mode would make: none" in result.out


def test_explain_json_and_default_now_from_deps() -> None:
    from datetime import UTC, datetime

    deps = CliDeps(now=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    result = run_cli(
        "policy", "explain", DEMO_POLICY, "--image", "app-base", "--json",
        "--share", "999999999999:fleet,builder", deps=deps,
    )  # fmt: skip
    assert result.code == 1
    data = json.loads(result.out)
    assert data["now"] == "2026-01-02T03:04:05+00:00"
    assert data["image_arn"] == "arn:aws:appstream:us-east-1:000000000000:image/app-base"
    assert data["violations"] == 1
    assert data["changes"] == [
        {
            "account_id": "999999999999",
            "before": {"allow_fleet": True, "allow_image_builder": True},
            "after": {"allow_fleet": True, "allow_image_builder": False},
            "revoked": ["image_builder"],
            "operation": "UpdateImagePermissions",
            "rule_ids": ["no-untrusted-builders"],
            "reasons": [data["verdicts"][0]["reason"]],
        }
    ]
    assert data["verdicts"][0]["outcome"] == "violation"


def test_explain_unshared_image_has_no_verdicts() -> None:
    result = run_cli("policy", "explain", DEMO_POLICY, "--image", "solo", "--now", NOW)
    assert result.code == 0
    assert "shared with: nobody" in result.out
    assert "verdicts: none" in result.out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--share", "12:fleet"], "--share '12:fleet': expected a 12-digit account id"),
        (["--share", "111111111111"], "--share: expected ACCOUNT:PERMISSIONS"),
        (["--tag", "novalue"], "--tag: expected KEY=VALUE, got 'novalue'"),
        (["--now", "2026-01-01T00:00:00"], "--now: '2026-01-01T00:00:00' has no timezone"),
        (["--org-account", "abc"], "--org-account: expected a 12-digit AWS account id"),
        (["--region", "mars"], "--region: unknown AWS region 'mars'"),
    ],
)
def test_explain_bad_input_is_one_line_exit_2(extra: list[str], message: str) -> None:
    result = run_cli("policy", "explain", DEMO_POLICY, "--image", "app-base", *extra)
    assert result.code == 2
    assert result.out == ""
    assert result.err.strip() == f"govbot: error: {message}" or message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_explain_bad_image_name_and_missing_image() -> None:
    bad = run_cli("policy", "explain", DEMO_POLICY, "--image", "bad name")
    assert bad.code == 2
    assert "--image: invalid image name 'bad name'" in bad.err
    missing = run_cli("policy", "explain", DEMO_POLICY)
    assert missing.code == 2
    assert "the following arguments are required: --image" in missing.err


def test_explain_bad_policy_file(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.yaml", "version: 1\nmode: sometimes\n")
    result = run_cli("policy", "explain", bad, "--image", "x")
    assert result.code == 2
    assert result.err.startswith(f"govbot: error: {bad}: mode:")
    assert "Traceback" not in result.err


def test_policy_schema_is_the_models_json_schema() -> None:
    result = run_cli("policy", "schema")
    assert result.code == 0, result.err
    schema = json.loads(result.out)
    assert schema["title"] == "govbot policy file"
    assert {"version", "mode", "rules", "exemptions", "golden", "notifications"} <= set(
        schema["properties"]
    )
    assert "version" in schema["required"]


def test_validate_warns_about_expired_exemptions_and_dead_routes(tmp_path: Path) -> None:
    text = Path(DEMO_POLICY).read_text(encoding="utf-8")
    text = text.replace("expires: 2099-01-01T00:00:00Z", "expires: 2020-01-01T00:00:00Z")
    text = text.replace(
        "    - name: default\n      webhook: default\n",
        "    - name: default\n      webhook: default\n      kinds: [violation_remedied]\n"
        "    - name: quiet\n      webhook: quiet\n      kinds: [event_rejected]\n"
        "      min_severity: critical\n",
    )
    path = _write(tmp_path, "warn.yaml", text)
    result = run_cli("policy", "validate", path)
    assert result.code == 0, result.err
    warnings = result.err.splitlines()
    assert f"warning: {path}: exemptions[0] 'outsider-builds-demo': expired at" in warnings[0]
    assert any("routes[1] 'quiet': delivers nothing" in w for w in warnings)
    assert any("no route delivers golden_copy_failed messages" in w for w in warnings)


def test_validate_knows_the_maximum_severity_of_every_message_kind(tmp_path: Path) -> None:
    # golden_name_taken is at most medium: a high-only route for it delivers nothing, and
    # no route left delivers violation_resolved or violation_reminder (every kind is known,
    # none is assumed critical).
    text = Path(DEMO_POLICY).read_text(encoding="utf-8")
    text = text.replace(
        "    - name: default\n      webhook: default\n",
        "    - name: default\n      webhook: default\n      kinds: [violation_remedied]\n"
        "    - name: names\n      webhook: names\n      kinds: [golden_name_taken]\n"
        "      min_severity: high\n",
    )
    path = _write(tmp_path, "kinds.yaml", text)
    result = run_cli("policy", "validate", path)
    assert result.code == 0, result.err
    warnings = result.err.splitlines()
    assert any("routes[1] 'names': delivers nothing" in w for w in warnings)
    for kind in ("violation_resolved", "violation_reminder", "golden_name_taken"):
        assert any(f"no route delivers {kind} messages" in w for w in warnings), kind


def test_policy_kinds_lists_every_registered_kind_with_its_routes(tmp_path: Path) -> None:
    from govbot.kinds import kind_names

    text = (
        Path(DEMO_POLICY)
        .read_text(encoding="utf-8")
        .replace(
            "    - name: default\n      webhook: default\n",
            "    - name: default\n      webhook: default\n      kinds: [violation_remedied]\n"
            "    - name: copies\n      webhook: copies\n      min_severity: high\n",
        )
    )
    path = _write(tmp_path, "kinds.yaml", text)
    result = run_cli("policy", "kinds", "--policy", path, "--json")
    assert result.code == 0, result.err
    rows = {row["kind"]: row for row in json.loads(result.out)}
    assert list(rows) == list(kind_names())
    assert rows["violation_remedied"]["routes"] == ["default", "copies"]
    assert (rows["golden_copy_failed"]["max_severity"], rows["golden_copy_failed"]["routes"]) == (
        "high",
        ["copies"],
    )
    # info at most: no route takes it (the first names other kinds, the second wants high).
    assert rows["golden_copy_completed"]["routes"] == []
    table = run_cli("policy", "kinds")
    assert table.code == 0, table.err
    assert "golden_copy_failed     high      a golden image copy failed" in table.out
