"""The govbot CLI against ``govbot-sandbox serve`` with a fast clock: ``ledger since --now``
finds what the sandbox recorded ahead of real time, ``check --endpoint-url`` takes the
caller's account from the sandbox's STS, and ``report`` measures the exposure time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

OWNER_KEY = "AKIAOWNERALICE000000"
SECRET = "sandbox"
GOVBOT = Path(sys.executable).with_name("govbot")
DEMO_POLICY = str(Path(__file__).resolve().parents[2] / "policies" / "demo.yaml")
START_TIMEOUT = 60.0
SETTLE_TIMEOUT = 30.0

pytestmark = pytest.mark.xdist_group("live-endpoint")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, endpoint: str, log: Path) -> None:
        self.endpoint, self.log = endpoint, log

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - loopback only
            f"{self.endpoint}/_govbot/{path}", data, method="POST" if data else "GET"
        )
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
            return json.loads(reply.read())

    def clock(self) -> str:
        return str(self.admin("health")["clock"])

    def govbot(self, *argv: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env |= {"AWS_ACCESS_KEY_ID": OWNER_KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
        return subprocess.run(
            [str(GOVBOT), *argv], capture_output=True, text=True, timeout=120, env=env,
            check=False,
        )  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("reports-live")
    log, port = home / "serve.log", _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "govbot_sandbox.cli", "serve", "--port", str(port),
             "--speed", "60", "--quiet"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=home,
        )  # fmt: skip
    live = Served(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                live.admin("health")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        # A day ahead of real time, then a person shares app-base's builder permission.
        live.admin("clock/advance", {"seconds": 86400})
        appstream = boto3.client(
            "appstream", endpoint_url=live.endpoint, region_name="us-east-1",
            aws_access_key_id=OWNER_KEY, aws_secret_access_key=SECRET,
        )  # fmt: skip
        appstream.update_image_permissions(
            Name="app-base", SharedAccountId="999999999999",
            ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
        )  # fmt: skip
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            shares = appstream.describe_image_permissions(Name="app-base")
            outsider = [
                s for s in shares["SharedImagePermissionsList"]
                if s["sharedAccountId"] == "999999999999"
            ]  # fmt: skip
            if outsider and not outsider[0]["imagePermissions"]["allowImageBuilder"]:
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"govbot did not revoke the builder:\n{log.read_text()[-3000:]}")
        yield live
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ledger_since(served: Served, *extra: str) -> subprocess.CompletedProcess[str]:
    return served.govbot(
        "ledger", "since", "2h", "--table", "govbot-ledger", "--region", "us-east-1",
        "--endpoint-url", served.endpoint, "--kind", "action", *extra,
    )  # fmt: skip


def test_ledger_since_with_the_sandbox_clock_finds_the_remedy(served: Served) -> None:
    assert "UpdateImagePermissions app-base" not in _ledger_since(served).stdout
    found = _ledger_since(served, "--now", served.clock())
    assert found.returncode == 0, found.stderr
    assert "UpdateImagePermissions app-base 999999999999: fleet,builder -> fleet" in found.stdout


def test_check_endpoint_url_takes_the_account_from_the_sandbox_sts(served: Served) -> None:
    done = served.govbot(
        "check", "--policy", DEMO_POLICY, "--regions", "us-east-1", "--json",
        "--endpoint-url", served.endpoint, "--org-endpoint-url", served.endpoint,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["account_ids"] == ["123456789012"]


def test_report_measures_the_exposure_of_the_revoked_grant(served: Served) -> None:
    done = served.govbot(
        "report", "--policy", DEMO_POLICY, "--regions", "us-east-1,eu-west-1", "--json",
        "--endpoint-url", served.endpoint, "--org-endpoint-url", served.endpoint,
        "--table", "govbot-ledger", "--ledger-endpoint-url", served.endpoint,
        "--now", served.clock(), "--since", "1d",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (revoke,) = report["exposure"]["revokes"]
    assert revoke["shared_account_id"] == "999999999999"
    assert revoke["rule_ids"] == ["no-untrusted-builders"]
    assert revoke["called_at"] <= revoke["remedied_at"]
    assert 0 <= revoke["seconds"] < 3600  # sandbox seconds (x60): well under an hour
    assert [r["region"] for r in report["chart"]["by_region"]] == ["eu-west-1", "us-east-1"]
