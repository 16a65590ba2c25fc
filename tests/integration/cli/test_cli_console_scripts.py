"""Every ``govbot`` command through its console script (a subprocess of the venv's ``govbot``):
it works, and a user mistake is one line on stderr with exit 2, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from govbot.ledger import DecisionRecord, EventRecord, ExemptionRecord, Ledger, create_ledger_table
from govbot_sandbox.emulator import AppStreamEmulator, EmulatorServer, ManualClock
from tests.unit.cli.runner import DEMO_POLICY, REPO_ROOT

# Its tests share a module-scoped fixture: one worker sets it up once (see tests/conftest.py).
pytestmark = pytest.mark.xdist_group("cli-console-scripts")

GOVBOT = Path(sys.executable).with_name("govbot")
EXAMPLES = REPO_ROOT / "docs" / "examples" / "simulate"
OWNER = "123456789012"
TABLE = "govbot-ledger-console"
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1", "NO_COLOR": "1"}  # fmt: skip
NOW = datetime.now(UTC)


def _govbot(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GOVBOT), *argv], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **ENV},
    )  # fmt: skip


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str]]:
    """(emulator URL, moto URL): one image shared with an outsider, a ledger with a story."""
    from moto.server import ThreadedMotoServer

    emulator = AppStreamEmulator(clock=ManualClock(), sinks=[])
    emulator.backend.seed_image(
        OWNER, "us-east-1", "app-base", shared_with={"999999999999": (True, True)}
    )
    emulator.backend.seed_image(OWNER, "us-east-1", "clean")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_url,
                          aws_access_key_id="t", aws_secret_access_key="t")  # fmt: skip
    create_ledger_table(client, TABLE)
    ledger = Ledger(TABLE, client=client)
    arn = f"arn:aws:appstream:us-east-1:{OWNER}:image/app-base"
    ledger.record_event(
        EventRecord(event_id="ev-console", event_name="UpdateImagePermissions", status="received",
                    image_arn=arn, shared_account_id="999999999999", occurred_at=NOW)
    )  # fmt: skip
    ledger.put_decisions([
        DecisionRecord(event_id="ev-console", rule_id="no-untrusted-builders",
                       account_id="999999999999", permission="image_builder",
                       outcome="violation", mode="enforce", reason="not trusted",
                       image_arn=arn, decided_at=NOW)
    ])  # fmt: skip
    ledger.put_exemption(
        ExemptionRecord(exemption_id="ex-console", image_arn=arn, account_id="999999999999",
                        permission="fleet", reason="trial", approver="U0DEMO0001",
                        expires_at=NOW + timedelta(days=2), granted_at=NOW)
    )  # fmt: skip
    with EmulatorServer(emulator) as server:
        yield server.endpoint_url, moto_url
    moto.stop()


def test_policy_validate_schema_explain() -> None:
    ok = _govbot("policy", "validate", DEMO_POLICY)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"OK {DEMO_POLICY} (11 rules")
    schema = _govbot("policy", "schema")
    assert json.loads(schema.stdout)["title"] == "govbot policy file"
    explain = _govbot("policy", "explain", DEMO_POLICY, "--image", "x",
                      "--share", "999999999999:builder")  # fmt: skip
    assert explain.returncode == 1
    assert "no-untrusted-builders" in explain.stdout


def test_simulate_human_and_json() -> None:
    argv = ["simulate", "--policy", DEMO_POLICY, "--world", str(EXAMPLES / "world.yaml"),
            "--now", "2026-11-27T17:00:00Z", str(EXAMPLES / "events.jsonl")]  # fmt: skip
    human = _govbot(*argv)
    assert human.returncode == 0, human.stderr
    assert "\x1b[" not in human.stdout  # no colour when piped
    assert human.stdout.splitlines()[0].split()[:4] == ["SOURCE", "EVENT", "ID", "EVENT"]
    machine = json.loads(_govbot(*argv, "--json").stdout)
    assert [e["outcome"] for e in machine["events"]][:2] == ["remedied", "compliant"]
    assert _govbot(*argv, "--fail-on-violation").returncode == 1


def test_check_against_the_served_emulator(served: tuple[str, str]) -> None:
    emulator_url, _ = served
    done = _govbot("check", "--policy", DEMO_POLICY, "--regions", "us-east-1",
                   "--accounts", OWNER, "--endpoint-url", emulator_url, "--no-organizations",
                   "--only-violations")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "app-base" in done.stdout
    assert "clean " not in done.stdout  # --only-violations
    assert done.stdout.rstrip().endswith("summary: 1 violation(s) on 1 image(s)")


def test_ledger_rows_have_event_ids_and_exemptions_are_listed(served: tuple[str, str]) -> None:
    _, moto_url = served
    common = ["--table", TABLE, "--endpoint-url", moto_url, "--region", "us-east-1"]
    since = _govbot("ledger", "since", "1h", *common)
    assert since.returncode == 0, since.stderr
    header, *rows = since.stdout.splitlines()
    assert header.split()[:3] == ["TIME", "EVENT", "ID"]
    assert rows
    assert all("ev-console" in row for row in rows if " exemption " not in row)
    event = _govbot("ledger", "event", "ev-console", *common, "--kind", "decision")
    assert [r.split()[2] for r in event.stdout.splitlines()[1:]] == ["decision"]
    listed = _govbot("ledger", "exemptions", "list", *common)
    assert "ex-console" in listed.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["policy", "validate", "/nonexistent.yaml"], "/nonexistent.yaml: file not found"),
        (["policy", "explain", DEMO_POLICY, "--image", "x", "--share", "1:fleet"],
         "expected a 12-digit account id"),
        (["policy", "schema", "extra"], "unrecognized arguments: extra"),
        (["simulate", "--policy", DEMO_POLICY, "/nonexistent.json"],
         "/nonexistent.json: cannot read the events file"),
        (["check", "--policy", DEMO_POLICY, "--regions", "moon-1"],
         "--regions: unknown AWS region 'moon-1'"),
        (["check", "--policy", DEMO_POLICY, "--regions", "us-east-1", "--accounts", "12"],
         "--accounts: expected a 12-digit AWS account id"),
        (["report", "--policy", DEMO_POLICY, "--regions", "us-east-1", "--format", "pdf"],
         "invalid choice: 'pdf'"),
        (["ledger", "since", "2 days", "--table", "t"], "invalid duration '2 days'"),
        (["ledger", "exemptions", "revoke", " ", "--table", "t"],
         "EXEMPTION_ID must not be empty"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)  # fmt: skip
def test_bad_input_to_every_command_is_one_line_exit_2(argv: list[str], message: str) -> None:
    done = _govbot(*argv)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_ledger_is_one_line() -> None:
    done = _govbot("ledger", "exemptions", "list", "--table", "t", "--region", "us-east-1",
                   "--endpoint-url", "http://127.0.0.1:9")  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("govbot: error: cannot use ledger table 't'")
    assert len(done.stderr.strip().splitlines()) == 1
