"""Context validation, policy reading, bundling commands and parameter tiering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govbot.policy.document import parse_policy_json
from govbot.policy.loader import load_policy, policy_json
from infra.app import REPO_ROOT, build_app
from infra.bundling import DependencySpec
from infra.config import DEFAULTS, InfraConfigError, settings_from_context
from infra.constructs.function import powertools_layer_arn
from infra.constructs.policy_parameter import tier_for
from infra.policy_source import PolicySourceError, read_policy

INVALID_POLICY = "version: 1\nmode: sometimes\n"


def test_defaults_match_cdk_json() -> None:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    for key, value in DEFAULTS.items():
        assert context[key] == value, key


def test_settings_defaults_and_csv_overrides() -> None:
    settings = settings_from_context(
        {"governed_regions": "eu-west-1, us-west-2", "governed_account_ids": "123456789012"}.get
    )
    assert settings.governed_regions == ("eu-west-1", "us-west-2")
    assert settings.governed_account_ids == ("123456789012",)
    assert settings.architecture == "arm64"
    assert settings.policy_file == Path("policies/example.yaml")
    assert settings.account == ""


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"governed_regions": []}, "'governed_regions': expected at least one region"),
        ({"governed_regions": ["Mars-1"]}, "unknown AWS region 'Mars-1'"),
        (
            {"governed_regions": "us-east-1,eu-wst-1"},
            "'governed_regions': unknown AWS region 'eu-wst-1'; did you mean 'eu-west-1'",
        ),
        (
            {"region": "us-esat-1"},
            "'region': unknown AWS region 'us-esat-1'; did you mean 'us-east-1'",
        ),
        ({"governed_account_ids": ["12345"]}, "'12345' is not a 12-digit account id"),
        ({"architecture": "sparc"}, "expected 'arm64' or 'x86_64'"),
        ({"ledger_retention_days": "forever"}, "'ledger_retention_days': expected an integer"),
        ({"ledger_retention_days": 0}, "in [1, 3650]"),
        ({"log_retention_days": 42}, "'log_retention_days': expected one of"),
        ({"slack_sdk_version": ">=3"}, "exact version like 3.48.0"),
        ({"policy_parameter_name": "govbot"}, "SSM path like /govbot/policy"),
        ({"governed_regions": 5}, "'governed_regions': expected a list of strings"),
    ],
)
def test_bad_context_is_rejected_with_the_key_named(context: dict, message: str) -> None:
    with pytest.raises(InfraConfigError) as error:
        settings_from_context(context.get)
    assert message in str(error.value)


def test_missing_policy_file_names_the_context_key(tmp_path: Path) -> None:
    with pytest.raises(PolicySourceError, match="policy_file"):
        read_policy(tmp_path / "absent.yaml")


def test_invalid_policy_is_rejected_by_the_project_loader(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(INVALID_POLICY)
    with pytest.raises(PolicySourceError) as error:
        read_policy(bad)
    assert f"policy file {bad} is invalid" in str(error.value)
    assert "mode" in str(error.value)


def test_golden_destination_outside_governed_regions_is_refused(tmp_path: Path) -> None:
    source = (REPO_ROOT / "policies" / "demo.yaml").read_text(encoding="utf-8")
    policy = tmp_path / "golden.yaml"
    policy.write_text(source)  # demo.yaml copies golden images to eu-west-1

    with pytest.raises(PolicySourceError) as error:
        read_policy(policy, ["us-east-1", "us-west-2"])

    assert "golden[0].destinations: eu-west-1 is not a governed region" in str(error.value)
    assert read_policy(policy, ["us-east-1", "eu-west-1"]) == policy_json(source)


GOLDEN_POLICY = """\
version: 1
mode: audit
golden:
  - id: finance
    images: {names: ["Finance-Golden-*"]}
    source_region: %s
    destinations: [%s]
%s"""


def test_golden_source_region_must_be_governed_and_not_a_destination(tmp_path: Path) -> None:
    policy = tmp_path / "golden.yaml"
    policy.write_text(GOLDEN_POLICY % ("ap-south-1", "eu-west-1", ""))
    with pytest.raises(PolicySourceError) as error:
        read_policy(policy, ["us-east-1", "eu-west-1"])
    assert "golden[0].source_region: ap-south-1 is not a governed region" in str(error.value)

    policy.write_text(GOLDEN_POLICY % ("eu-west-1", "eu-west-1, us-east-1", ""))
    with pytest.raises(PolicySourceError) as error:
        read_policy(policy, ["us-east-1", "eu-west-1"])
    assert "source_region eu-west-1 is also listed in destinations" in str(error.value)


def test_golden_source_account_is_required_with_several_accounts(tmp_path: Path) -> None:
    policy = tmp_path / "golden.yaml"
    policy.write_text(GOLDEN_POLICY % ("us-east-1", "eu-west-1", ""))
    regions = ["us-east-1", "eu-west-1"]
    assert read_policy(policy, regions, ["111111111111"])  # one account: nothing to pin
    with pytest.raises(PolicySourceError) as error:
        read_policy(policy, regions, ["111111111111", "222222222222"])
    assert "golden[0].source_account: required when several accounts are governed" in str(
        error.value
    )

    policy.write_text(
        GOLDEN_POLICY % ("us-east-1", "eu-west-1", '    source_account: "333333333333"\n')
    )
    with pytest.raises(PolicySourceError) as error:
        read_policy(policy, regions, ["111111111111", "222222222222"])
    assert "333333333333 is not a governed account" in str(error.value)
    policy.write_text(
        GOLDEN_POLICY % ("us-east-1", "eu-west-1", '    source_account: "222222222222"\n')
    )
    assert read_policy(policy, regions, ["111111111111", "222222222222"])


def test_example_policy_is_stored_as_the_json_of_the_same_policy() -> None:
    path = REPO_ROOT / DEFAULTS["policy_file"]
    stored = read_policy(path)
    assert parse_policy_json(stored) == load_policy(path)
    assert json.loads(stored)["version"] in (1, "1")


def test_bad_policy_stops_the_stack_before_synth(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(INVALID_POLICY)
    with pytest.raises(PolicySourceError, match="is invalid"):
        build_app(str(tmp_path / "out"), {"policy_file": str(bad)}, nag=False)


def test_python_app_py_fails_with_the_policy_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(INVALID_POLICY)
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"policy_file": str(bad)})}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"govbot synth failed: policy file {bad} is invalid" in result.stderr
    assert "Traceback" not in result.stderr


def test_parameter_tier_switches_above_four_kilobytes() -> None:
    assert tier_for("a" * 4096).name == "STANDARD"
    assert tier_for("a" * 4097).name == "ADVANCED"
    assert tier_for("é" * 2049).name == "ADVANCED"  # bytes, not characters


@pytest.mark.parametrize(
    ("architecture", "platform"),
    [("arm64", "manylinux2014_aarch64"), ("x86_64", "manylinux2014_x86_64")],
)
def test_pip_targets_the_lambda_platform(architecture: str, platform: str) -> None:
    spec = DependencySpec(requirement="slack_sdk==3.48.0", architecture=architecture)
    command = spec.pip_command(Path("/out"))
    assert command[command.index("--platform") + 1] == platform
    assert command[command.index("--python-version") + 1] == "3.13"
    assert command[command.index("--target") + 1] == "/out"
    assert "--only-binary=:all:" in command
    assert command[-1] == "slack_sdk==3.48.0"


def test_layer_arn_follows_the_powertools_naming() -> None:
    assert powertools_layer_arn("eu-west-1", "aws", "x86_64", 27) == (
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
    )


def test_concrete_env_variant_passes_nag_and_scopes_spoke_roles(tmp_path: Path) -> None:
    """Fixed account/region, x86_64, an alarm e-mail and a spoke: still nag-clean."""
    from aws_cdk.assertions import Template

    app, stack = build_app(
        str(tmp_path / "out"),
        {
            "account": "123456789012",
            "region": "eu-west-1",
            "governed_account_ids": ["123456789012", "210987654321"],
            # Two governed accounts: golden rules must pin their source account.
            "policy_file": str(
                REPO_ROOT / "tests" / "fixtures" / "policies" / "multi-account.yaml"
            ),
            "remediation_role_name": "govbot-remediation",
            "architecture": "x86_64",
            "alarm_email": "ops@example.com",
        },
    )
    app.synth()  # nag packs are on: raises on any unacknowledged finding
    template = Template.from_stack(stack)
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sts:AssumeRole"
    ]
    # Enforcer and replicator, each for the spoke only (never the hub's own account).
    assert len(statements) == 2
    for statement in statements:
        # A concrete region: the current feature flags resolve its partition at synth.
        assert statement["Resource"] == "arn:aws:iam::210987654321:role/govbot-remediation"
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )
    for function in template.find_resources("AWS::Lambda::Function").values():
        assert function["Properties"]["Architectures"] == ["x86_64"]
        env = function["Properties"]["Environment"]["Variables"]
        if function["Properties"]["Handler"] == "govbot.handlers.enforcer.handler":
            # govbot's calls made through the spoke role come back and must be recognised.
            joined = json.dumps(env["SELF_PRINCIPAL_ARNS"])
            assert ":sts::*:assumed-role/govbot-remediation/*" in joined
            assert env["HUB_ACCOUNT_ID"] == "123456789012"
