"""``govbot report --format csv``: the whole report as ONE long table.

Every row has the same columns, the first being ``section``; a column a section does not use
is empty. An image is always its ARN (``image_arn``) with its name beside it
(``image_name``), so a spreadsheet filter or ``csv.DictReader`` works on every section alike.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from govbot_cli.report_model import account_label

COLUMNS = (
    "section",
    "time",
    "id",
    "image_arn",
    "image_name",
    "owner_account",
    "region",
    "rule_id",
    "account",
    "permission",
    "status",
    "severity",
    "mode",
    "count",
    "seconds",
    "p50_seconds",
    "p95_seconds",
    "detail",
)


def _name_of(arn: str | None) -> str:
    return arn.rsplit("/", 1)[-1] if arn and "/" in arn else ""


def _owner_of(arn: str | None) -> str:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 else ""


def _summary_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    summary = report["summary"]
    rows: list[dict[str, Any]] = [
        {"status": "FAIL", "severity": severity, "count": n, "detail": "open findings"}
        for severity, n in summary["open_findings_by_severity"].items()
    ]
    rows.append(
        {
            "count": len(summary["images_shared_outside_organization"]),
            "detail": "images shared outside the organisation",
        }
    )
    rows.append(
        {
            "count": len(summary["exemptions_expiring"]),
            "detail": f"exemptions expiring within {summary['expiring_within_days']} days",
        }
    )
    return rows


def long_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every section's rows as dicts over ``COLUMNS`` (missing keys are empty)."""
    names: dict[str, str] = report.get("account_names", {})
    rows: list[dict[str, Any]] = [{"section": "summary", **row} for row in _summary_rows(report)]
    for image in report["images"]:
        common = {
            "section": "image_share",
            "image_arn": image["image_arn"],
            "image_name": image["name"],
            "owner_account": image["account_id"],
            "region": image["region"],
            "detail": f"state {image['state']}",
        }
        shares = image["shares"] or [{"account_id": "", "permissions": "", "how": "not shared"}]
        rows += [
            {
                **common,
                "account": account_label(s["account_id"], names) if s["account_id"] else "",
                "permission": s["permissions"],
                "status": s["how"],
            }
            for s in shares
        ]
    rows += [
        {
            "section": "finding",
            "image_arn": f["image_arn"],
            "image_name": f["image_name"],
            "owner_account": f["owner_account_id"],
            "region": f["region"],
            "rule_id": f["rule_id"],
            "account": account_label(f["account_id"], names),
            "permission": f["permission"],
            "status": f["status"],
            "severity": f["severity"],
            "mode": f["mode"],
            "id": f["exemption_id"],
            "detail": f["reason"],
        }
        for f in report["findings"]
    ]
    for e in report["exemptions"]:
        target = e["target"]
        is_arn = target.startswith("arn:")
        rows.append(
            {
                "section": "exemption",
                "id": e["id"],
                "time": e["expires"],
                "image_arn": target if is_arn else "",
                "image_name": _name_of(target),
                "owner_account": _owner_of(target),
                "account": account_label(e["account_id"], names),
                "permission": e["permission"],
                "status": "expired"
                if e["expired"]
                else ("expiring" if e["expiring_soon"] else "active"),
                "detail": f"{e['source']}; approver {e['approver']}; "
                f"target {target}; {e['reason']}",
            }
        )
    rows += [
        {
            "section": "golden_coverage",
            "rule_id": g["rule_id"],
            "region": g["destination_region"],
            "count": g["copies_present"],
            "detail": f"sources {g['sources']}; missing {', '.join(g['missing']) or '-'}",
        }
        for g in report["golden_coverage"]
    ]
    rows += [
        {
            "section": "action",
            "time": a["ts"],
            "id": a["event_id"],
            "image_arn": a["image_arn"],
            "image_name": _name_of(a["image_arn"]),
            "owner_account": _owner_of(a["image_arn"]),
            "account": account_label(a["shared_account_id"], names),
            "status": a["status"],
            "detail": a["operation"],
        }
        for a in report["actions"]
    ]
    exposure = report["exposure"]
    rows += [
        {
            "section": "exposure",
            "time": r["called_at"],
            "id": r["event_id"],
            "image_arn": r["image_arn"],
            "image_name": _name_of(r["image_arn"]),
            "owner_account": _owner_of(r["image_arn"]),
            "region": r["region"],
            "rule_id": ",".join(r["rule_ids"]),
            "account": account_label(r["shared_account_id"], names),
            "seconds": r["seconds"],
            "detail": f"{r['operation']} at {r['remedied_at']}",
        }
        for r in exposure["revokes"]
    ]
    for key, section in (("by_week", "exposure_by_week"), ("by_rule", "exposure_by_rule")):
        rows += [
            {
                "section": section,
                "id": s.get("week", ""),
                "rule_id": s.get("rule_id", ""),
                "count": s["revokes"],
                "p50_seconds": s["p50_seconds"],
                "p95_seconds": s["p95_seconds"],
                "seconds": s["max_seconds"],
                "detail": "seconds is the maximum",
            }
            for s in exposure[key]
        ]
    return rows


def to_csv(report: dict[str, Any]) -> str:
    """One header, then every row of every section with the same columns."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    for row in long_rows(report):
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()
