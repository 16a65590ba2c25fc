"""The installed entry points: ``python -m govbot_cli`` and ``govbot-sandbox serve-emulator``."""

from __future__ import annotations

import io
import subprocess
import sys

import boto3

from govbot_sandbox.cli import DEMO_IMAGES
from govbot_sandbox.cli import main as sandbox_main
from govbot_sandbox.emulator import EmulatorServer
from tests.unit.cli.runner import DEMO_POLICY, REPO_ROOT, Run, run_cli


def test_python_m_govbot_cli_validates_the_demo_policy() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "govbot_cli", "policy", "validate", "policies/demo.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "OK policies/demo.yaml (11 rules, 1 exemptions, 1 golden)"


def test_serve_emulator_seeds_demo_and_serves_check() -> None:
    seen: dict[str, object] = {}
    checks: list[Run] = []

    def use_server(server: EmulatorServer) -> None:
        # Instead of waiting for Ctrl-C: use the live server, then return (which stops it).
        client = boto3.client(
            "appstream", region_name="us-east-1", endpoint_url=server.endpoint_url
        )
        seen["names"] = sorted(i["Name"] for i in client.describe_images(Type="PRIVATE")["Images"])
        checks.append(run_cli(
            "check", "--region", "us-east-1", "--account", "123456789012", "--all",
            "--policy", DEMO_POLICY, "--endpoint-url", server.endpoint_url, "--no-organizations",
        ))  # fmt: skip
        seen["url"] = server.endpoint_url

    out, err = io.StringIO(), io.StringIO()
    code = sandbox_main(["serve-emulator", "--seed-demo"], stdout=out, stderr=err, wait=use_server)
    assert code == 0, err.getvalue()
    assert seen["names"] == sorted(name for name, _, _ in DEMO_IMAGES)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"AppStream emulator listening on {seen['url']}"
    assert "seeded arn:aws:appstream:us-east-1:123456789012:image/prod-app" in lines
    assert lines[-1] == "emulator stopped"
    (check,) = checks
    assert check.code == 1
    assert "no-untrusted-builders account=999999999999" in check.out
    assert "audit-fleet-dev account=" in check.out


def test_serve_emulator_other_account_is_reachable_with_the_printed_key() -> None:
    seen: dict[str, list[str]] = {}

    def use_server(server: EmulatorServer) -> None:
        client = boto3.client(
            "appstream",
            region_name="us-east-1",
            endpoint_url=server.endpoint_url,
            aws_access_key_id="AKIASEED111111111111",
            aws_secret_access_key="x",
        )
        seen["names"] = [i["Arn"] for i in client.describe_images(Type="PRIVATE")["Images"]]

    out, err = io.StringIO(), io.StringIO()
    argv = ["serve-emulator", "--seed-demo", "--account", "111111111111"]
    assert sandbox_main(argv, stdout=out, stderr=err, wait=use_server) == 0, err.getvalue()
    assert "sign with access key AKIASEED111111111111 to act as account 111111111111" in (
        out.getvalue()
    )
    assert len(seen["names"]) == len(DEMO_IMAGES)
    assert all(":111111111111:image/" in arn for arn in seen["names"])


def test_serve_emulator_port_in_use() -> None:
    def never(_server: EmulatorServer) -> None:
        raise AssertionError("must not serve")

    # Hold a port, then ask for the same one.
    def grab(server: EmulatorServer) -> None:
        out, err = io.StringIO(), io.StringIO()
        code = sandbox_main(
            ["serve-emulator", "--port", str(server.port)], stdout=out, stderr=err, wait=never
        )
        seen.append((code, err.getvalue()))

    seen: list[tuple[int, str]] = []
    assert sandbox_main(["serve-emulator"], stdout=io.StringIO(), wait=grab) == 0
    code, err = seen[0]
    assert code == 2
    assert err.startswith("govbot-sandbox serve-emulator: error: cannot listen on 127.0.0.1:")
