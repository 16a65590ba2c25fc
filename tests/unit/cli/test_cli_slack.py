"""``govbot slack check`` against moto's Secrets Manager: well formed, or what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from govbot.slack_secrets import SIGNING_SECRET_NAME, WEBHOOKS_SECRET_NAME
from govbot_cli import CliDeps
from govbot_cli.slack_cmd import default_secret_reader
from tests.unit.cli.runner import EXAMPLE_POLICY, run_cli

REGION = "eu-west-1"
GOOD_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
GOOD_SIGNING = "8f742231b10e8888abcd99eeefff85a5"  # the shape Slack issues: 32 hex


@pytest.fixture
def secrets() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def _deps() -> CliDeps:
    return CliDeps(secret_reader=default_secret_reader)


def _put(client: object, webhooks: str, signing: str) -> None:
    client.create_secret(Name=WEBHOOKS_SECRET_NAME, SecretString=webhooks)  # type: ignore[attr-defined]
    client.create_secret(Name=SIGNING_SECRET_NAME, SecretString=signing)  # type: ignore[attr-defined]


def test_well_formed_secrets_pass(secrets: object) -> None:
    _put(secrets, json.dumps({"default": GOOD_URL}), GOOD_SIGNING)
    result = run_cli("slack", "check", "--region", REGION, deps=_deps())
    assert result.code == 0, result.err
    assert result.out.splitlines() == [f"OK {WEBHOOKS_SECRET_NAME}", f"OK {SIGNING_SECRET_NAME}"]


def test_generated_placeholders_are_reported_without_printing_them(secrets: object) -> None:
    placeholder = "q^W3,j`Xo_Z~T8b!k|Rr.Wq9vL]s0P#e"  # the shape CloudFormation generates
    _put(secrets, placeholder, placeholder)
    result = run_cli("slack", "check", "--region", REGION, "--json", deps=_deps())
    assert result.code == 1
    report = json.loads(result.out)
    assert report[WEBHOOKS_SECRET_NAME]["ok"] is False
    assert "not JSON" in report[WEBHOOKS_SECRET_NAME]["problems"][0]
    assert "32 hexadecimal" in report[SIGNING_SECRET_NAME]["problems"][0]
    assert placeholder not in result.out + result.err


def test_a_non_slack_url_and_a_route_missing_for_the_policy(
    secrets: object, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    text = Path(EXAMPLE_POLICY).read_text()
    policy.write_text(text)
    _put(secrets, json.dumps({"default": "http://example.com/hook"}), GOOD_SIGNING)
    result = run_cli("slack", "check", "--region", REGION, "--policy", str(policy), deps=_deps())
    assert result.code == 1
    assert (
        f"BAD {WEBHOOKS_SECRET_NAME}: route 'default': not a Slack incoming webhook" in result.out
    )
    assert "route 'security' (used by the policy) has no webhook" in result.out
    assert f"OK {SIGNING_SECRET_NAME}" in result.out


def test_a_missing_secret_is_one_error_line_exit_2(secrets: object) -> None:
    result = run_cli("slack", "check", "--region", REGION, deps=_deps())
    assert result.code == 2
    assert result.err.strip().startswith(
        "govbot slack check: error: secret 'govbot/slack/webhooks'"
    )
    assert "ResourceNotFoundException" in result.err


def test_a_misspelled_region_is_refused(secrets: object) -> None:
    result = run_cli("slack", "check", "--region", "eu-wst-1", deps=_deps())
    assert result.code == 2
    assert "did you mean 'eu-west-1'" in result.err
