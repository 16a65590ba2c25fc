"""``govbot report`` in-process: one-table CSV, OCSF and SARIF (schema-valid), Prowler-style
filters, the summary block, every region in scope, account names and exposure time."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.ledger import ActionRecord, DecisionRecord, EventRecord, ExemptionRecord
from govbot.ledger.records.base import LedgerRecord
from govbot_cli import CliDeps
from govbot_cli.deps import LedgerReader
from tests.fakes import FakeAppStream, FakeOrganizations
from tests.unit.cli.runner import DEMO_POLICY, REPO_ROOT, run_cli

OWNER = "123456789012"
OUTSIDER = "999999999999"
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
SCHEMAS = REPO_ROOT / "tests" / "schemas"
ARN = f"arn:aws:appstream:us-east-1:{OWNER}:image/app-base"


def _share(account: str, fleet: bool, builder: bool) -> SharedAccountPermission:
    return SharedAccountPermission(
        account_id=account, permissions=Permissions(allow_fleet=fleet, allow_image_builder=builder)
    )


def _image(name: str, region: str, *shares: SharedAccountPermission) -> ImageSnapshot:
    return ImageSnapshot(
        ref=ImageRef(account_id=OWNER, region=region, name=name), shared_with=shares
    )


IMAGES = [
    _image("app-base", "us-east-1", _share(OUTSIDER, True, True)),
    _image("prod-web", "us-east-1", _share("222222222222", True, False)),
    _image("plain", "us-east-1", _share("111111111111", True, True)),
    _image("prod-app", "eu-west-1", _share(OUTSIDER, True, True)),
]


class FakeLedger:
    """The two reads ``report`` makes: exemptions granted, and the period's records."""

    def __init__(self, records: list[LedgerRecord], granted: list[ExemptionRecord]) -> None:
        self.records, self.granted = records, granted
        self.asked: list[tuple[datetime, datetime, list[str]]] = []

    def active_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        return self.granted

    def by_time(self, start: datetime, end: datetime, kinds: Any, *, limit: Any) -> list[Any]:
        self.asked.append((start, end, list(kinds)))
        return [
            r for r in self.records
            if r.kind in kinds and (ts := r.timestamp()) is not None and start <= ts <= end
        ]  # fmt: skip


def _revoke(event_id: str, called: datetime, seconds: float, rule: str) -> list[LedgerRecord]:
    return [
        EventRecord(event_id=event_id, event_name="UpdateImagePermissions", status="processed",
                    image_arn=ARN, occurred_at=called, received_at=called),
        DecisionRecord(event_id=event_id, rule_id=rule, account_id=OUTSIDER,
                       permission="image_builder", outcome="violation", mode="enforce",
                       image_arn=ARN, region="us-east-1", decided_at=called),
        ActionRecord(event_id=event_id, seq=0, operation="UpdateImagePermissions",
                     status="succeeded", image_arn=ARN, region="us-east-1",
                     shared_account_id=OUTSIDER,
                     recorded_at=called + timedelta(seconds=seconds)),
    ]  # fmt: skip


def _ledger() -> FakeLedger:
    week1 = datetime(2026, 11, 30, 9, tzinfo=UTC)  # Monday of ISO week 49
    records: list[LedgerRecord] = []
    # Week 49: 10 revokes of 1..10 s by the builder rule; week 48: one of 100 s by another.
    for i in range(10):
        records += _revoke(f"ev-{i}", week1 + timedelta(hours=i), i + 1, "no-untrusted-builders")
    records += _revoke("ev-old", datetime(2026, 11, 27, 9, tzinfo=UTC), 100, "secrets-never-shared")
    # A failed revoke and one whose event is unknown give no figure.
    records.append(ActionRecord(event_id="ev-0", seq=1, operation="DeleteImagePermissions",
                                status="failed", image_arn=ARN, shared_account_id=OUTSIDER,
                                recorded_at=week1 + timedelta(seconds=30)))  # fmt: skip
    records.append(ActionRecord(event_id="ev-lost", seq=0, operation="UpdateImagePermissions",
                                status="succeeded", image_arn=ARN, shared_account_id=OUTSIDER,
                                recorded_at=week1))  # fmt: skip
    granted = [
        ExemptionRecord(exemption_id="slack-1", image_arn=ARN, account_id=OUTSIDER,
                        permission="image_builder", reason="trial", approver="U0DEMO0001",
                        expires_at=NOW + timedelta(days=5), granted_at=NOW - timedelta(days=1))
    ]  # fmt: skip
    return FakeLedger(records, granted)


def _report(*argv: str, names: dict[str, str] | None = None) -> tuple[int, str, str]:
    deps = CliDeps(
        appstream=FakeAppStream(IMAGES).factory,
        caller_account=lambda _region, _profile: OWNER,
        now=lambda: NOW,
        org_members=FakeOrganizations(frozenset({OWNER, "222222222222"})),
        ledger=lambda *_a, **_k: cast(LedgerReader, _ledger()),
        org_names=lambda _profile, _endpoint: names or {"222222222222": "payments-prod"},
    )
    done = run_cli(
        "report", "--policy", DEMO_POLICY, "--regions", "us-east-1,eu-west-1,ap-south-1",
        "--accounts", OWNER, "--table", "t", "--since", "30d", *argv, deps=deps,
    )  # fmt: skip
    return done.code, done.out, done.err


def _json(*argv: str) -> dict[str, Any]:
    code, out, err = _report("--format", "json", *argv)
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    return report


# 1. CSV: one long table -------------------------------------------------------------------


def test_csv_is_one_table_with_a_section_column_and_arns() -> None:
    code, out, err = _report("--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    header = rows[0]
    assert header[0] == "section"
    assert rows.count(header) == 1  # one header
    assert {len(r) for r in rows} == {len(header)}  # every row the same width
    records = list(csv.DictReader(io.StringIO(out)))
    sections = {r["section"] for r in records}
    assert {"summary", "image_share", "finding", "exemption", "golden_coverage", "action",
            "exposure", "exposure_by_week", "exposure_by_rule"} <= sections  # fmt: skip
    for r in records:  # an image is always its ARN, its name beside it
        if r["image_arn"]:
            assert r["image_arn"].startswith("arn:aws:appstream:"), r
            assert r["image_arn"].endswith("/" + r["image_name"]), r
    shares = [r for r in records if r["section"] == "image_share"]
    assert {r["image_name"] for r in shares} == {"app-base", "prod-web", "plain", "prod-app"}
    assert any(r["account"] == "222222222222 (payments-prod)" for r in shares)


# 2. OCSF, SARIF, filters ------------------------------------------------------------------


def test_ocsf_findings_are_valid_detection_findings() -> None:
    code, out, err = _report("--format", "ocsf")
    assert code == 0, err
    findings = json.loads(out)
    schema = json.loads((SCHEMAS / "ocsf_1.3_detection_finding_2004.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for finding in findings:
        jsonschema.validate(finding, schema, cls=jsonschema.Draft202012Validator)
    assert {f["class_uid"] for f in findings} == {2004}
    fails = [f for f in findings if f.get("status_code") == "FAIL"]
    assert fails
    assert all(f["status_id"] == 1 for f in fails)
    builder = next(f for f in fails if "no-untrusted-builders" in f["finding_info"]["title"])
    assert builder["severity_id"] == 5  # critical
    assert builder["resources"][0]["uid"] == f"arn:aws:appstream:eu-west-1:{OWNER}:image/prod-app"
    assert builder["cloud"]["region"] == "eu-west-1"
    closed = [f for f in findings if f["activity_id"] == 3]
    assert len(closed) == 11  # every revoke with a known call time
    assert sorted(f["unmapped"]["exposure_seconds"] for f in closed)[-1] == 100.0


def test_ocsf_schema_rejects_a_finding_without_required_attributes() -> None:
    """The vendored schema can fail: a finding missing finding_info or of another class."""
    schema = json.loads((SCHEMAS / "ocsf_1.3_detection_finding_2004.schema.json").read_text())
    _, out, _ = _report("--format", "ocsf")
    good = json.loads(out)[0]
    for broken in ({k: v for k, v in good.items() if k != "finding_info"},
                   {**good, "class_uid": 2001}):  # fmt: skip
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)


def test_sarif_is_valid_2_1_0() -> None:
    code, out, err = _report("--format", "sarif")
    assert code == 0, err
    log = json.loads(out)
    schema = json.loads((SCHEMAS / "sarif-2.1.0-subset.schema.json").read_text())
    jsonschema.validate(log, schema, cls=jsonschema.Draft7Validator)
    (run,) = log["runs"]
    results = run["results"]
    assert {r["kind"] for r in results} == {"fail", "pass"}
    muted = [r for r in results if "suppressions" in r]
    assert muted
    assert muted[0]["suppressions"][0]["kind"] == "external"
    assert any(r["level"] == "error" and r["ruleId"] == "no-untrusted-builders" for r in results)
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} <= rule_ids
    with pytest.raises(jsonschema.ValidationError):  # the subset schema can fail
        jsonschema.validate({**log, "version": "2.0.0"}, schema, cls=jsonschema.Draft7Validator)


def test_severity_and_status_filters_as_prowler() -> None:
    everything = _json()
    statuses = {f["status"] for f in everything["findings"]}
    assert statuses == {"FAIL", "PASS", "MUTED"}
    only = _json("--severity", "critical", "high", "--status", "FAIL")
    assert only["findings"]
    assert {f["status"] for f in only["findings"]} == {"FAIL"}
    assert {f["severity"] for f in only["findings"]} <= {"critical", "high"}
    assert len(only["findings"]) < len(everything["findings"])
    assert only["open_violations"] == [
        {k: f[k] for k in only["open_violations"][0]} for f in only["findings"]
    ]
    assert _json("--status", "pass")["findings"]  # case-insensitive, as Prowler's
    assert _json("--severity", "informational")["filters"]["severity"] == ["info"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--severity", "urgent"], "--severity: unknown value 'urgent'; expected one or more of "
                                   "critical, high, medium, low, info"),
        (["--status", "FAILED"], "--status: unknown value 'FAILED'; expected one or more of "
                                 "FAIL, PASS, MUTED"),
        (["--expiring-days", "-1"], "--expiring-days: expected 0 to 3650 days"),
    ],
)  # fmt: skip
def test_unknown_filter_values_are_one_clear_line(argv: list[str], message: str) -> None:
    code, _, err = _report(*argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


# 3. Summary, regions, names, exposure -----------------------------------------------------


def test_summary_block_counts_open_findings_outside_shares_and_expiring() -> None:
    report = _json("--expiring-days", "7")
    summary = report["summary"]
    fails = [f for f in report["findings"] if f["status"] == "FAIL"]
    assert summary["open_findings"] == len(fails) > 0
    assert summary["open_findings_by_severity"]["critical"] == sum(
        f["severity"] == "critical" for f in fails
    )
    # 999999999999 and 111111111111 are not members; 222222222222 is (sorted by ARN).
    assert summary["images_shared_outside_organization"] == [
        f"arn:aws:appstream:eu-west-1:{OWNER}:image/prod-app", ARN,
        f"arn:aws:appstream:us-east-1:{OWNER}:image/plain",
    ]  # fmt: skip
    assert summary["exemptions_expiring"] == ["slack-1"]
    assert _json("--expiring-days", "3")["summary"]["exemptions_expiring"] == []


def test_every_region_in_scope_is_on_the_chart_and_names_label_accounts() -> None:
    report = _json()
    assert [r["region"] for r in report["chart"]["by_region"]] == [
        "ap-south-1", "eu-west-1", "us-east-1"
    ]  # fmt: skip
    assert report["account_names"]["222222222222"] == "payments-prod"
    assert report["account_names"]["111111111111"] == "shared-services"  # the policy's name
    _, md, _ = _report("--format", "md")
    assert "111111111111 (shared-services)" in md


def test_exposure_time_per_week_and_rule() -> None:
    exposure = _json()["exposure"]
    assert len(exposure["revokes"]) == 11  # the failed and the orphan revoke give no figure
    weeks = {w["week"]: w for w in exposure["by_week"]}
    assert weeks["2026-W49"]["revokes"] == 10
    assert weeks["2026-W49"]["p50_seconds"] == 5.0
    assert weeks["2026-W49"]["p95_seconds"] == 10.0
    assert weeks["2026-W48"]["p50_seconds"] == 100.0
    rules = {r["rule_id"]: r for r in exposure["by_rule"]}
    assert rules["secrets-never-shared"]["p95_seconds"] == 100.0
    assert rules["no-untrusted-builders"]["max_seconds"] == 10.0
    first = exposure["revokes"][0]
    assert (first["called_at"], first["remedied_at"], first["seconds"]) == (
        "2026-11-27T09:00:00.000Z", "2026-11-27T09:01:40.000Z", 100.0
    )  # fmt: skip
    _, md, _ = _report("--format", "md")
    assert "## Exposure time by ISO week (call to revoke)" in md
    assert "| 2026-W49 | 10 | 5.0 | 10.0 | 10.0 |" in md


def test_html_has_summary_block_and_exposure_chart(tmp_path: Path) -> None:
    code, out, err = _report("--format", "html")
    assert code == 0, err
    assert out.index('id="summary"') < out.index("<svg")
    assert "Images shared outside the organisation: 3" in out
    assert "Exposure time by rule (s)" in out
    assert ">ap-south-1</text>" in out
