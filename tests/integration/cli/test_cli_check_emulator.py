"""``govbot check`` through real boto3 clients: the in-process emulator and its HTTP server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto import mock_aws

from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream
from tests.unit.cli.runner import DEMO_POLICY, run_cli

OWNER = "123456789012"  # the emulator's (and moto's) default caller account
REGION = "us-east-1"


def _seed(emulator: AppStreamEmulator) -> None:
    backend = emulator.backend
    backend.seed_image(OWNER, REGION, "app-base", shared_with={"111111111111": (True, True)})
    backend.seed_image(
        OWNER,
        REGION,
        "prod-app",
        shared_with={"222222222222": (True, False), "999999999999": (True, True)},
    )
    backend.seed_image(
        OWNER,
        REGION,
        "payroll",
        tags={"classification": "confidential"},
        shared_with={"111111111111": (True, False)},
    )


@pytest.fixture
def emulator() -> AppStreamEmulator:
    emulator = AppStreamEmulator(clock=ManualClock(), validate_responses=True, sinks=[])
    _seed(emulator)
    return emulator


def _shares(emulator: AppStreamEmulator, name: str) -> list[Any]:
    import boto3

    client = boto3.client("appstream", region_name=REGION)
    return list(client.describe_image_permissions(Name=name)["SharedImagePermissionsList"])


def test_check_all_in_process_finds_violations_and_changes_nothing(
    emulator: AppStreamEmulator,
) -> None:
    # mock_aws answers STS GetCallerIdentity: the account comes from the credentials.
    with mock_aws(), mock_appstream(emulator):
        before = {name: _shares(emulator, name) for name in ("prod-app", "payroll")}
        result = run_cli(
            "check", "--region", REGION, "--all", "--policy", DEMO_POLICY, "--no-organizations"
        )
        after = {name: _shares(emulator, name) for name in ("prod-app", "payroll")}
    assert result.code == 1, result.err
    assert f"checked 3 image(s) in account {OWNER} {REGION}" in result.out
    assert "VIOLATION prod-app no-untrusted-builders account=999999999999" in result.out
    assert (
        "VIOLATION payroll secrets-never-shared account=111111111111 permission=fleet" in result.out
    )
    assert "summary: 3 violation(s) on 2 image(s)" in result.out
    # Read-only: no mutating call reached the emulator, the shares are untouched.
    assert before == after
    assert emulator.calls["UpdateImagePermissions"] == 0
    assert emulator.calls["DeleteImagePermissions"] == 0


def test_check_one_image_in_process_json(emulator: AppStreamEmulator) -> None:
    with mock_appstream(emulator):
        result = run_cli(
            "check", "--region", REGION, "--account", OWNER, "--image", "app-base",
            "--policy", DEMO_POLICY, "--no-organizations", "--json",
        )  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [i["image_arn"] for i in data["images"]] == [
        f"arn:aws:appstream:{REGION}:{OWNER}:image/app-base"
    ]
    assert data["violations"] == 0
    assert data["images"][0]["shared_with"] == [
        {"account_id": "111111111111", "allow_fleet": True, "allow_image_builder": True}
    ]


def test_check_missing_image_in_process(emulator: AppStreamEmulator) -> None:
    with mock_appstream(emulator):
        result = run_cli(
            "check", "--region", REGION, "--account", OWNER, "--image", "ghost",
            "--policy", DEMO_POLICY, "--no-organizations",
        )  # fmt: skip
    assert result.code == 2
    assert f"image 'ghost' not found in account {OWNER} {REGION}" in result.err


def test_check_against_the_http_server(emulator: AppStreamEmulator) -> None:
    # No mock_appstream here: the request really goes over loopback HTTP.
    with emulator.serve("127.0.0.1", 0) as server:
        result = run_cli(
            "check", "--region", REGION, "--account", OWNER, "--all",
            "--policy", DEMO_POLICY, "--no-organizations", "--endpoint-url", server.endpoint_url,
        )  # fmt: skip
    assert result.code == 1, result.err
    assert "summary: 3 violation(s) on 2 image(s)" in result.out
    assert emulator.calls["DescribeImages"] >= 1
    assert emulator.calls["DescribeImagePermissions"] == 3


def test_check_wrong_account_against_the_http_server(emulator: AppStreamEmulator) -> None:
    with emulator.serve("127.0.0.1", 0) as server:
        result = run_cli(
            "check", "--region", REGION, "--account", "210987654321", "--all",
            "--policy", DEMO_POLICY, "--no-organizations", "--endpoint-url", server.endpoint_url,
        )  # fmt: skip
    assert result.code == 2
    assert f"the credentials in use read images of account {OWNER}" in result.err
