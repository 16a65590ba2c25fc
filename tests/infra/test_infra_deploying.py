"""Deploying as CDK users expect: context checks, outputs, and the emergency mode switch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from govbot.policy.document import parse_policy_json
from govbot.policy.loader import policy_json
from infra.app import REPO_ROOT
from infra.config import InfraConfigError, check_context_keys, context_from_argv
from infra.config import settings_from_context as settings
from infra.mode_switch import main as mode_switch_main
from infra.mode_switch import switch_mode
from tests.conftest import CDK_VALIDATION

# Tests of the session's one hub synthesis run on the worker that made it.


def test_unknown_context_key_is_refused_with_the_nearest_known_one() -> None:
    with pytest.raises(InfraConfigError) as error:
        check_context_keys(["governed_region", "architecture", "@aws-cdk/core:foo"])
    assert "unknown context key 'governed_region'; did you mean 'governed_regions'?" in str(
        error.value
    )
    check_context_keys(["governed_regions", "@aws-cdk/x:y", "aws:cdk:version-reporting"])


def test_python_app_py_refuses_a_misspelt_key_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "app.py", "-c", "polcy_file=policies/demo.yaml"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "did you mean 'policy_file'?" in result.stderr
    assert "Traceback" not in result.stderr
    assert "b'!!" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["-c", "polcy_file=policies/demo.yaml"],
        ["-c", "policy_file=policies/missing.yaml"],
        ["-c", "governed_regions=mars-north-1"],
    ],
)
def test_app_py_refuses_bad_configuration_before_the_cdk_is_imported(argv) -> None:
    """A typo costs a fraction of a second: keys, settings and the policy are checked
    before aws_cdk (a Node.js start) is imported and before any construct is built."""
    probe = (
        "import sys, app; code = app.main(sys.argv[1:]); "
        "print(code, 'aws_cdk' in sys.modules, 'infra.app' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.stdout.split() == ["1", "False", "False"], result.stderr
    assert result.stderr.startswith("govbot synth failed: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-c", "region=eu-west-1"], {"region": "eu-west-1"}),
        (["--context", "a=b=c", "-c", "x="], {"a": "b=c", "x": ""}),
    ],
)
def test_context_arguments_are_read_as_the_cdk_cli_reads_them(argv, expected) -> None:
    assert context_from_argv(argv) == expected


def test_a_stray_argument_is_a_usage_error() -> None:
    with pytest.raises(InfraConfigError, match=r"usage: python app\.py"):
        context_from_argv(["--verbose"])


@pytest.mark.parametrize(
    "value", ['["us-east-1", "eu-west-1"]', "us-east-1, eu-west-1", ["us-east-1", "eu-west-1"]]
)
def test_list_values_accept_a_json_array_or_a_comma_list(value) -> None:
    assert settings({"governed_regions": value}.get).governed_regions == (
        "us-east-1",
        "eu-west-1",
    )


def test_a_broken_json_array_names_the_key() -> None:
    with pytest.raises(InfraConfigError, match=r"context .governed_regions.*not a JSON array"):
        settings({"governed_regions": '["us-east-1",'}.get)


def test_outputs_have_stable_names_and_descriptions(hub) -> None:
    outputs = hub.raw["Outputs"]
    for name in (
        "ActionsUrl",
        "LedgerTableName",
        "AlarmTopicArn",
        "PolicyParameterName",
        "DashboardName",
    ):
        assert outputs[name]["Description"], name
    readme = (REPO_ROOT / "README.md").read_text() + (REPO_ROOT / "docs/deploying.md").read_text()
    assert all(name in readme for name in ("ActionsUrl", "LedgerTableName", "AlarmTopicArn"))


def test_dashboard_shows_outcomes_queues_slack_sweeps_and_functions(hub) -> None:
    (dashboard,) = hub.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in (
        "Events_",
        "OutboxRecordsFailed",
        "DriftSweeps",
        "ReplicatorSweeps",
        "ApproximateNumberOfMessagesVisible",
        "Errors",
        "Duration",
    ):
        assert metric in body, metric


POLICY = """
version: 1
mode: enforce
rules:
  - id: no-untrusted-builders
    type: no_image_builder_for_untrusted
  - id: strict
    type: no_image_builder_for_untrusted
    mode: enforce
"""


@mock_aws
def test_emergency_switch_puts_every_rule_in_audit_with_one_command(capsys) -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/govbot/policy", Value=policy_json(POLICY), Type="String")

    assert mode_switch_main(["audit", "--region", "us-east-1"]) == 0

    stored = ssm.get_parameter(Name="/govbot/policy")["Parameter"]["Value"]
    policy = parse_policy_json(stored)
    assert policy.mode == "audit"
    assert {policy.mode_of(rule) for rule in policy.rules} == {"audit"}
    assert "every rule now in audit mode" in capsys.readouterr().out
    # And back: enforce restores the policy-wide and per-rule modes.
    switch_mode(ssm, "/govbot/policy", "enforce")
    policy = parse_policy_json(ssm.get_parameter(Name="/govbot/policy")["Parameter"]["Value"])
    assert {policy.mode_of(rule) for rule in policy.rules} == {"enforce"}


@mock_aws
def test_emergency_switch_on_a_missing_parameter_is_one_line_exit_2(capsys) -> None:
    assert mode_switch_main(["audit", "--region", "us-east-1", "--parameter", "/nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("govbot mode switch failed:")
    assert err.count("\n") == 1


def test_npm_ci_then_cdk_synth_and_ls_in_dependency_order(tmp_path: Path) -> None:
    """What a user does after cloning: `npm ci`, `npx cdk synth`, `npx cdk ls`."""
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    # The CDK's built-in template validation on, as for a user (tests/conftest.py turns it
    # off elsewhere), its default rules made errors: a finding fails the synth.
    env.pop(CDK_VALIDATION, None)
    # As the README says, with npm's cache used before the registry (same lock, same tree).
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=REPO_ROOT, env=env,
        check=True, capture_output=True,
    )  # fmt: skip
    out = tmp_path / "assembly"
    # Two governed accounts: each golden rule must pin its source account (the synth says so).
    example = (REPO_ROOT / "policies" / "example.yaml").read_text(encoding="utf-8")
    pinned = tmp_path / "policy.yaml"
    pinned.write_text(
        example.replace(
            "    source_region:", '    source_account: "111111111111"\n    source_region:'
        )
    )
    assert pinned.read_text() != example
    context = [
        "-c", f"policy_file={pinned}",
        "-c", "account=111111111111", "-c", "region=us-east-1",
        "-c", 'governed_regions=["us-east-1","eu-west-1"]',
        "-c", "governed_account_ids=111111111111,222222222222",
        "-c", "spoke_accounts=222222222222", "-c", "remediation_role_name=govbot-remediation",
        "-c", "@aws-cdk/core:validateAgainstDefaultRules=true",
    ]  # fmt: skip
    synth = subprocess.run(
        ["npx", "cdk", "synth", "--quiet", "--output", str(out), *context],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert synth.returncode == 0, synth.stderr
    assert "b'!!" not in synth.stderr + synth.stdout
    assert (out / "GovbotHub.template.json").is_file()  # CDK_OUTDIR (--output) honoured
    # Listed from the cloud assembly just written (no second run of app.py).
    listed = subprocess.run(
        ["npx", "cdk", "ls", "--app", str(out)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert listed.stdout.split() == [
        "GovbotHub",
        "GovbotSpokeRole-222222222222",
        "GovbotForwarder-111111111111-eu-west-1",
        "GovbotForwarder-222222222222-us-east-1",
        "GovbotForwarder-222222222222-eu-west-1",
    ]


def test_the_guide_names_every_resource_type_an_uninstall_leaves(hub) -> None:
    guide = (REPO_ROOT / "docs" / "deploying.md").read_text()
    uninstall = guide[guide.index("## Uninstall") :]
    retained = {
        resource["Type"]
        for resource in hub.raw["Resources"].values()
        if resource.get("DeletionPolicy") == "Retain"
    }
    assert retained
    for resource_type in retained:
        assert f"`{resource_type}`" in uninstall, resource_type
