"""``govbot report`` through its console script, on the served emulator and a served moto ledger;
the HTML page opened in headless Chromium (``make browser`` installs Debian's package)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from govbot.ledger import (
    ActionRecord,
    DecisionRecord,
    EventRecord,
    ExemptionRecord,
    Ledger,
    create_ledger_table,
)
from govbot_cli.report_html import (
    P50_COLOUR,
    P95_COLOUR,
    SEVERITY_COLOURS,
    SHARES_COLOUR,
    VIOLATIONS_COLOUR,
)
from govbot_sandbox.emulator import AppStreamEmulator, EmulatorServer, ManualClock
from tests.integration.cli.png import colour_counts
from tests.unit.cli.runner import DEMO_POLICY

# Its tests share a module-scoped fixture: one worker sets it up once (see tests/conftest.py).
pytestmark = pytest.mark.xdist_group("cli-report-console")

GOVBOT = Path(sys.executable).with_name("govbot")
OWNER = "123456789012"
OUTSIDER = "999999999999"
TABLE = "govbot-ledger-report"
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
NOW = datetime.now(UTC)


def _govbot(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GOVBOT), *argv], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **ENV},
    )  # fmt: skip


@pytest.fixture(scope="module")
def estate() -> Iterator[list[str]]:
    """A served emulator with images in two regions, a served moto ledger with a story."""
    from moto.server import ThreadedMotoServer

    emulator = AppStreamEmulator(clock=ManualClock(), sinks=[])
    seed = emulator.backend.seed_image
    seed(OWNER, "us-east-1", "app-base", shared_with={OUTSIDER: (True, True)})
    seed(OWNER, "us-east-1", "prod-web", shared_with={"222222222222": (True, False)})
    seed(OWNER, "us-east-1", "prod-api", shared_with={OUTSIDER: (True, False)})
    seed(OWNER, "us-east-1", "golden-base-1")
    seed(OWNER, "eu-west-1", "dev-tools", shared_with={OUTSIDER: (True, False)})
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=moto_url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    create_ledger_table(client, TABLE)
    ledger = Ledger(TABLE, client=client)
    arn = f"arn:aws:appstream:us-east-1:{OWNER}:image/app-base"
    ledger.record_event(
        EventRecord(
            event_id="ev-1", event_name="UpdateImagePermissions", status="processed",
            image_arn=arn, region="us-east-1", occurred_at=NOW - timedelta(hours=2, seconds=42),
        )
    )  # fmt: skip
    ledger.put_decisions(
        [
            DecisionRecord(
                event_id="ev-1", rule_id="no-untrusted-builders", account_id=OUTSIDER,
                permission="image_builder", outcome="violation", mode="enforce",
                reason="not trusted", image_arn=arn, region="us-east-1",
                decided_at=NOW - timedelta(hours=2),
            )
        ]
    )  # fmt: skip
    ledger.put_action(
        ActionRecord(
            event_id="ev-1", seq=0, operation="UpdateImagePermissions",
            request={"SharedAccountId": OUTSIDER}, status="succeeded", image_arn=arn,
            shared_account_id=OUTSIDER, recorded_at=NOW - timedelta(hours=2),
        )
    )  # fmt: skip
    ledger.put_exemption(
        ExemptionRecord(
            exemption_id="slack-1", image_arn=arn, account_id=OUTSIDER, permission="fleet",
            reason="trial", approver="U0DEMO0001", expires_at=NOW + timedelta(days=5),
            granted_at=NOW,
        )
    )  # fmt: skip
    with EmulatorServer(emulator) as served:
        yield [
            "--policy", DEMO_POLICY, "--regions", "us-east-1,eu-west-1", "--accounts", OWNER,
            "--endpoint-url", served.endpoint_url, "--no-organizations",
            "--table", TABLE, "--ledger-endpoint-url", moto_url,
        ]  # fmt: skip
    moto.stop()


def test_report_json_has_every_section(estate: list[str]) -> None:
    done = _govbot("report", *estate, "--json", "--since", "1d")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {i["name"] for i in report["images"]} == {
        "app-base", "prod-web", "prod-api", "golden-base-1", "dev-tools"
    }  # fmt: skip
    app_base = next(i for i in report["images"] if i["name"] == "app-base")
    assert app_base["shares"] == [
        {"account_id": OUTSIDER, "permissions": "fleet,builder", "how": "violation"}
    ]
    assert {v["rule_id"] for v in report["open_violations"]} >= {"no-untrusted-builders"}
    (slack,) = [e for e in report["exemptions"] if e["source"] == "slack"]
    assert slack["expiring_soon"] is True
    assert report["golden_coverage"] == [
        {"rule_id": "golden-base", "destination_region": "eu-west-1", "sources": 1,
         "copies_present": 0, "missing": ["golden-base-1"]}
    ]  # fmt: skip
    assert [a["event_id"] for a in report["actions"]] == ["ev-1"]
    regions = {r["region"]: r for r in report["chart"]["by_region"]}
    assert regions["us-east-1"]["shares"] == 3
    (revoke,) = report["exposure"]["revokes"]  # the call's eventTime to govbot's revoke
    assert (revoke["event_id"], revoke["seconds"]) == ("ev-1", 42.0)
    assert regions["eu-west-1"]["violations"] >= 1


def test_report_markdown_and_csv(estate: list[str]) -> None:
    md = _govbot("report", *estate, "--format", "md")
    assert md.returncode == 0, md.stderr
    assert "## Open violations" in md.stdout
    assert (
        f"| arn:aws:appstream:us-east-1:{OWNER}:image/app-base | 123456789012 | us-east-1 |"
        in md.stdout
    )
    assert "expires within 14 days" in md.stdout
    rows = list(csv.DictReader(io.StringIO(_govbot("report", *estate, "--format", "csv").stdout)))
    assert any(r["section"] == "golden_coverage" and r["region"] == "eu-west-1" for r in rows)


def _chromium(page: Path, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[bytes]:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: run `make browser` (Debian's chromium package)"
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--disable-background-networking", "--no-first-run", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
         *flags, page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def test_report_html_shows_the_chart_in_chromium(estate: list[str], tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    done = _govbot("report", *estate, "--format", "html", "--output", str(page))
    assert done.returncode == 0, done.stderr
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no CDN
    shot = tmp_path / "shot.png"
    _chromium(page, tmp_path, "--window-size=1280,2000", f"--screenshot={shot}")
    counts = colour_counts(shot.read_bytes())
    # Bars are at least 28 px wide and several px tall: hundreds of pixels of each colour.
    assert counts[_rgb(SHARES_COLOUR)] > 500, counts.most_common(5)
    assert counts[_rgb(VIOLATIONS_COLOUR)] > 500, counts.most_common(5)
    # The summary's severity bars: a critical (the builder share) and high (prod-api's fleet
    # share) open finding, each a 16 px tall bar of its colour; no medium bar.
    assert counts[_rgb(SEVERITY_COLOURS["critical"])] > 1000, counts.most_common(8)
    assert counts[_rgb(SEVERITY_COLOURS["high"])] > 1000, counts.most_common(8)
    assert counts[_rgb(SEVERITY_COLOURS["medium"])] == 0
    # The exposure chart: one revoke (42 s), so its p50 and p95 bars are both full height.
    assert counts[_rgb(P50_COLOUR)] > 1000, counts.most_common(8)
    assert counts[_rgb(P95_COLOUR)] > 1000, counts.most_common(8)
    white = counts[(255, 255, 255)]
    assert white < 0.97 * sum(counts.values()), "the page is blank"


def test_report_html_text_in_chromium(estate: list[str], tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    done = _govbot("report", *estate, "--format", "html", "--output", str(page))
    assert done.returncode == 0, done.stderr
    dom = _chromium(page, tmp_path, "--dump-dom").stdout.decode()
    summary = dom[dom.index('id="summary"') : dom.index("</section>")]
    report = json.loads(_govbot("report", *estate, "--json").stdout)
    fails = [f["severity"] for f in report["findings"] if f["status"] == "FAIL"]
    assert fails.count("critical") == 1  # app-base's builder share
    assert fails.count("medium") == 0
    counts = ", ".join(
        f"{fails.count(s)} {s}" for s in ("critical", "high", "medium", "low", "info")
    )
    assert f"Open findings: {len(fails)} ({counts})" in summary, summary
    # --no-organizations: every other account is outside; golden-base-1 is shared with nobody.
    assert "Images shared outside the organisation: 4" in summary
    assert "Exemptions expiring within 14 days: 1 (slack-1)" in summary
    assert ">eu-west-1</text>" in dom
    assert ">us-east-1</text>" in dom
    assert "111111111111 (shared-services)" not in dom  # not shared with: no label invented
    assert "Exposure time by ISO week (call to revoke)" in dom
    assert "<td>42.0</td>" in dom


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "pdf"], "argument --format: invalid choice: 'pdf'"),
        (["--since", "yesterday"], "--since: expected a duration such as 7d or an ISO time"),
        (["--output", "/nonexistent/dir/r.html"], "--output /nonexistent/dir/r.html: cannot write"),
    ],
)
def test_report_bad_input_is_one_line_exit_2(
    estate: list[str], argv: list[str], message: str
) -> None:
    done = _govbot("report", *estate, *argv)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
