"""``govbot-sandbox serve`` driven from outside by the AWS CLI from PyPI, as a person would.

The server runs as a subprocess on a free loopback port; the AWS CLI lives in a
virtualenv of its own (``make awscli``: .awscli-venv, gitignored, its own botocore) and
reaches everything through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.live.accounts import CONSUMER_ACCOUNT, EXTERNAL_ACCOUNT
from govbot_sandbox.live.world import CONSUMER_FLEET
from tests.e2e.conftest import SharedServe

REPO = Path(__file__).resolve().parents[2]
AWS = REPO / ".awscli-venv" / "bin" / "aws"
OWNER_KEY = "AKIAOWNERALICE000000"
CONSUMER_KEY = "AKIACONSUMERDAVE0000"
BOB_KEY = "ASIAOWNERADMINBOB000"
EXTERNAL_KEY = "AKIAEXTERNALMALLORY0"
START_TIMEOUT = 60.0  # seconds a cold start may take on a busy 2-core machine
SETTLE_TIMEOUT = 30.0

pytestmark = pytest.mark.xdist_group("live-endpoint")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aws_cli() -> Path:
    """The PyPI AWS CLI in its own virtualenv, built once by ``make awscli``."""
    if not AWS.exists():
        subprocess.run(["make", "-s", "awscli"], cwd=REPO, check=True, timeout=600)
    return AWS


class Live:
    """A running ``govbot-sandbox serve`` and the AWS CLI pointed at it."""

    def __init__(self, aws: Path, endpoint: str, log: Path, home: Path | None = None) -> None:
        self.aws = aws
        self.endpoint = endpoint
        self.log = log  # the server's console, from its start
        self.trail = log.parent / "cloudtrail.jsonl"  # its --cloudtrail-log
        self.home = home or log.parent  # the AWS CLI's HOME (its ~/.aws)
        self._log_start = self._trail_start = 0

    def for_module(self, home: Path) -> Live:
        """This server as one module sees it: its own CLI home, and the console and the
        CloudTrail log from now on (what the module's own world tells)."""
        view = Live(self.aws, self.endpoint, self.log, home)
        view._log_start = self.log.stat().st_size
        view._trail_start = self.trail.stat().st_size if self.trail.exists() else 0
        return view

    def narration(self) -> str:
        """The console since this view began."""
        with self.log.open("rb") as console:
            console.seek(self._log_start)
            return console.read().decode()

    def trail_lines(self) -> list[str]:
        """The CloudTrail JSON lines written since this view began."""
        with self.trail.open("rb") as trail:
            trail.seek(self._trail_start)
            return trail.read().decode().splitlines()

    def cli(self, key: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
        }
        done = subprocess.run(
            [str(self.aws), *args, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {done.stderr}\n{self.tail()}")
        return done

    def json(self, key: str, *args: str) -> Any:
        return json.loads(self.cli(key, *args).stdout or "{}")

    def admin(self, path: str, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        url = f"{self.endpoint}/_govbot/{path}"  # http://127.0.0.1 only
        request = urllib.request.Request(url, data, method=method)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            return json.loads(reply.read())

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def until(self, what: str, probe: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            found = probe()
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{what}: not seen in {SETTLE_TIMEOUT}s\n{self.tail()}")


@contextlib.contextmanager
def serving(home: Path) -> Iterator[Live]:
    """``govbot-sandbox serve --cloudtrail-log`` in ``home``, until the block ends."""
    aws = aws_cli()
    log = home / "serve.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "govbot_sandbox.cli",
                "serve",
                "--port",
                str(port),
                "--cloudtrail-log",
                str(home / "cloudtrail.jsonl"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=home,
        )
    server = Live(aws, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                assert server.admin("health")["status"] == "ok"
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start:\n{server.tail()}") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()  # SIGTERM: serve stops its pump, sandbox and server
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def live(cli_serve: SharedServe[Live], tmp_path_factory: pytest.TempPathFactory) -> Live:
    """The shared ``serve`` process (tests/e2e/conftest.py), reset: each module starts from
    the world a new process starts with, with a CLI home of its own."""
    server = cli_serve.get()
    assert server.admin("reset", "POST") == {"status": "reset"}
    return server.for_module(tmp_path_factory.mktemp("live-cli-home"))


@pytest.fixture
def fresh(live: Live) -> Live:
    live.admin("reset", "POST")
    return live


def _permissions(live: Live, image: str) -> dict[str, dict[str, bool]]:
    listing = live.json(OWNER_KEY, "appstream", "describe-image-permissions", "--name", image)
    return {
        entry["sharedAccountId"]: entry["imagePermissions"]
        for entry in listing["SharedImagePermissionsList"]
    }


def test_startup_prints_endpoint_credentials_and_region(live: Live) -> None:
    banner = live.log.read_text()
    assert f"AWS_ENDPOINT_URL={live.endpoint}" in banner
    assert "AWS_DEFAULT_REGION=us-east-1" in banner
    assert OWNER_KEY in banner
    assert EXTERNAL_ACCOUNT in banner
    health = live.admin("health")
    assert health["accounts"][CONSUMER_KEY]["account"] == CONSUMER_ACCOUNT


def test_owner_shares_with_external_builder_and_govbot_takes_the_builder_back(
    fresh: Live,
) -> None:
    live = fresh
    identity = live.json(OWNER_KEY, "sts", "get-caller-identity")
    assert identity["Account"] == HUB_ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{HUB_ACCOUNT}:user/alice"
    live.cli(
        OWNER_KEY,
        "appstream",
        "update-image-permissions",
        "--name",
        "app-base",
        "--shared-account-id",
        EXTERNAL_ACCOUNT,
        "--image-permissions",
        "allowFleet=true,allowImageBuilder=true",
    )
    live.until(
        "govbot's own UpdateImagePermissions record",
        lambda: len(live.admin("events?eventName=UpdateImagePermissions")["records"]) == 2,
    )
    assert _permissions(live, "app-base")[EXTERNAL_ACCOUNT] == {
        "allowFleet": True,
        "allowImageBuilder": False,
    }
    # The console tells the story as it happens: decision, action, Slack message.
    told = live.until(
        "the narrated action",
        lambda: "govbot     action UpdateImagePermissions" in live.narration() and live.narration(),
    )
    assert "govbot     decision no-untrusted-builders: violation" in told

    records = live.admin("events?eventName=UpdateImagePermissions")["records"]
    by_whom = {r["userIdentity"]["arn"]: r for r in records}
    person = by_whom[f"arn:aws:iam::{HUB_ACCOUNT}:user/alice"]
    assert person["requestParameters"]["imagePermissions"]["allowImageBuilder"] is True
    assert person["userIdentity"]["userName"] == "alice"
    bots = [r for r in records if r["userIdentity"]["type"] == "AssumedRole"]
    assert len(bots) == 1
    assert bots[0]["requestParameters"]["imagePermissions"] == {
        "allowFleet": True,
        "allowImageBuilder": False,
    }
    assert bots[0]["userIdentity"]["sessionContext"]["sessionIssuer"]["type"] == "Role"
    assert "errorCode" not in person
    assert "errorCode" not in bots[0]


def test_sts_says_who_each_configured_identity_is_as_cloudtrail_does(fresh: Live) -> None:
    live = fresh
    accounts = live.admin("health")["accounts"]
    for key in (OWNER_KEY, BOB_KEY, CONSUMER_KEY, EXTERNAL_KEY):
        identity = live.json(key, "sts", "get-caller-identity")
        assert (identity["Account"], identity["Arn"]) == (
            accounts[key]["account"],
            accounts[key]["arn"],
        ), key
    bob = live.json(BOB_KEY, "sts", "get-caller-identity")
    assert bob["Arn"] == f"arn:aws:sts::{HUB_ACCOUNT}:assumed-role/Admin/bob"
    assert bob["UserId"].startswith("AROA")
    assert bob["UserId"].endswith(":bob")
    # The same principal the sandbox's CloudTrail records name for that caller's calls.
    live.cli(
        BOB_KEY, "appstream", "update-image-permissions", "--name", "app-base",
        "--shared-account-id", CONSUMER_ACCOUNT,
        "--image-permissions", "allowFleet=true,allowImageBuilder=false",
    )  # fmt: skip
    (record,) = [
        r
        for r in live.admin("events?eventName=UpdateImagePermissions")["records"]
        if r["userIdentity"]["arn"] == bob["Arn"]
    ]
    assert record["userIdentity"]["accountId"] == bob["Account"]
    # An access key the sandbox was not told about is refused, as AWS refuses it.
    unknown = live.cli("AKIAUNKNOWNCALLER000", "sts", "get-caller-identity", check=False)
    assert unknown.returncode != 0
    assert "UnrecognizedClientException" in unknown.stderr


def test_consumer_cannot_scale_or_start_after_revocation(fresh: Live) -> None:
    live = fresh
    live.cli(
        OWNER_KEY,
        "appstream",
        "delete-image-permissions",
        "--name",
        "prod-app",
        "--shared-account-id",
        CONSUMER_ACCOUNT,
    )
    # dave's fleet was seeded running at 2 on prod-app; it drops to 0.
    [fleet] = live.json(CONSUMER_KEY, "appstream", "describe-fleets")["Fleets"]
    assert (fleet["Name"], fleet["ComputeCapacityStatus"]["Desired"]) == (CONSUMER_FLEET, 0)

    scale = live.cli(
        CONSUMER_KEY,
        "appstream",
        "update-fleet",
        "--name",
        CONSUMER_FLEET,
        "--compute-capacity",
        "DesiredInstances=2",
        check=False,
    )
    assert scale.returncode != 0
    assert "OperationNotPermittedException" in scale.stderr
    assert "valid image" in scale.stderr
    start = live.cli(
        CONSUMER_KEY, "appstream", "start-fleet", "--name", CONSUMER_FLEET, check=False
    )
    assert start.returncode != 0
    assert "OperationNotPermittedException" in start.stderr

    refused = live.admin("events?eventName=StartFleet")["records"]
    assert [r["errorCode"] for r in refused] == ["OperationNotPermittedException"]
    assert refused[0]["userIdentity"]["accountId"] == CONSUMER_ACCOUNT
    assert refused[0]["userIdentity"]["userName"] == "dave"


def test_admin_api_drives_clock_faults_and_image_builds(fresh: Live) -> None:
    live = fresh
    before = live.admin("health")["clock"]
    live.cli(
        OWNER_KEY,
        "appstream",
        "create-image-builder",
        "--name",
        "b1",
        "--image-name",
        "AppStream-WinServer2022-06-17-2024",
        "--instance-type",
        "stream.standard.medium",
    )
    after = live.admin("clock/advance", "POST", {"seconds": 3600})["clock"]
    assert after > before
    built = live.admin(
        "image-builds", "POST", {"account": HUB_ACCOUNT, "builder": "b1", "image": "from-b1"}
    )
    assert built["imageArn"].endswith(":image/from-b1")
    [service_event] = live.admin("events?eventName=CreateImage")["records"]
    assert service_event["eventType"] == "AwsServiceEvent"
    assert service_event["serviceEventDetails"]["ImageState"] == "PENDING"

    live.admin("faults", "POST", {"operation": "DescribeImages", "throttle_rate": 1})
    throttled = live.cli(OWNER_KEY, "appstream", "describe-images", check=False)
    assert "ThrottlingException" in throttled.stderr
    live.admin("faults", "DELETE")
    lines = live.trail_lines()
    assert "CreateImageBuilder" in {json.loads(line)["eventName"] for line in lines}
