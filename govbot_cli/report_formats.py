"""``govbot report --format ocsf|sarif``: the findings in formats security tools ingest.

- OCSF 1.3 Detection Finding (class_uid 2004, category Findings): one JSON object per finding
  (FAIL new, MUTED suppressed, PASS resolved), plus one closed finding per grant govbot
  revoked, carrying the exposure time (call to remedy) in ``start_time``/``end_time``.
  The output is a JSON array, as Prowler's ``json-ocsf`` and Security Lake accept.
- SARIF 2.1.0: one run, the policy's rules as the tool's rules, one result per finding
  (``kind: pass`` for PASS, an external suppression for MUTED), located by the image ARN as
  a logical location (an image has no source file).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from govbot import __version__

OCSF_VERSION = "1.3.0"
DETECTION_FINDING = 2004
FINDINGS_CATEGORY = 2
# OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
OCSF_SEVERITY = {"info": (1, "Informational"), "low": (2, "Low"), "medium": (3, "Medium"),
                 "high": (4, "High"), "critical": (5, "Critical")}  # fmt: skip
# OCSF finding status_id: 1 New, 3 Suppressed, 4 Resolved.
OCSF_STATUS = {"FAIL": (1, "New"), "MUTED": (3, "Suppressed"), "PASS": (4, "Resolved")}
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
               "info": "note"}  # fmt: skip
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _product() -> dict[str, Any]:
    return {"name": "govbot", "vendor_name": "govbot", "version": __version__}


def _ocsf_base(activity: int, severity: str, time_ms: int, uid: str) -> dict[str, Any]:
    severity_id, severity_name = OCSF_SEVERITY[severity]
    activity_name = {1: "Create", 3: "Close"}[activity]
    return {
        "activity_id": activity,
        "activity_name": activity_name,
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "class_uid": DETECTION_FINDING,
        "class_name": "Detection Finding",
        "type_uid": DETECTION_FINDING * 100 + activity,
        "type_name": f"Detection Finding: {activity_name}",
        "severity_id": severity_id,
        "severity": severity_name,
        "time": time_ms,
        "metadata": {"version": OCSF_VERSION, "product": _product(), "uid": uid},
    }


def _resource(arn: str | None, region: str | None, owner: str | None) -> dict[str, Any]:
    return {
        "uid": arn or "-",
        "name": (arn or "-").rsplit("/", 1)[-1],
        "type": "AWS::AppStream::Image",
        "region": region,
        "cloud_partition": "aws",
        "owner": {"account": {"uid": owner, "type": "AWS Account", "type_id": 10}},
    }


def ocsf_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every finding, then every revoke with its exposure, as OCSF Detection Findings."""
    now_ms = _epoch_ms(report["generated_at"])
    names = report.get("account_names", {})
    out = []
    for f in report["findings"]:
        uid = f"govbot:{f['image_arn']}:{f['rule_id']}:{f['account_id']}:{f['permission']}"
        status_id, status = OCSF_STATUS[f["status"]]
        finding = _ocsf_base(1, f["severity"], now_ms, uid)
        finding.update(
            status_id=status_id,
            status=status,
            status_code=f["status"],
            message=f["reason"],
            finding_info={
                "uid": uid,
                "title": f"{f['rule_id']}: {f['image_name']} shared with {f['account_id']}",
                "desc": f["reason"],
                "types": [f["rule_type"]],
                "analytic": {
                    "uid": f["rule_id"],
                    "name": f["rule_id"],
                    "type_id": 1,
                    "type": "Rule",
                },
            },
            cloud={
                "provider": "AWS",
                "region": f["region"],
                "account": {"uid": f["owner_account_id"], "name": names.get(f["owner_account_id"])},
            },
            resources=[_resource(f["image_arn"], f["region"], f["owner_account_id"])],
            unmapped={
                "shared_account_id": f["account_id"],
                "shared_account_name": names.get(f["account_id"] or ""),
                "permission": f["permission"],
                "mode": f["mode"],
                "exemption_id": f["exemption_id"],
            },
        )
        out.append(finding)
    for r in report["exposure"]["revokes"]:
        uid = f"govbot:revoke:{r['event_id']}:{r['shared_account_id']}"
        finding = _ocsf_base(3, "high", _epoch_ms(r["remedied_at"]), uid)
        title = f"grant to {r['shared_account_id']} revoked after {r['seconds']} s"
        finding.update(
            status_id=4,
            status="Resolved",
            message=title,
            start_time=_epoch_ms(r["called_at"]),
            end_time=_epoch_ms(r["remedied_at"]),
            finding_info={
                "uid": uid,
                "title": title,
                "types": ["exposure_time"],
                "related_events": [{"uid": r["event_id"]}],
            },
            resources=[_resource(r["image_arn"], r["region"], None)],
            unmapped={
                "exposure_seconds": r["seconds"],
                "rule_ids": r["rule_ids"],
                "operation": r["operation"],
            },
        )
        out.append(finding)
    return out


def to_ocsf(report: dict[str, Any]) -> str:
    """A JSON array of OCSF Detection Findings."""
    return json.dumps(ocsf_findings(report), indent=2)


def sarif_log(report: dict[str, Any]) -> dict[str, Any]:
    """The findings as one SARIF 2.1.0 log."""
    rules = sorted({f["rule_id"]: f["rule_type"] for f in report["findings"]}.items())
    results = []
    for f in report["findings"]:
        result: dict[str, Any] = {
            "ruleId": f["rule_id"],
            "level": "none" if f["status"] == "PASS" else SARIF_LEVEL[f["severity"]],
            "kind": "pass" if f["status"] == "PASS" else "fail",
            "message": {"text": f["reason"]},
            "locations": [
                {
                    "logicalLocations": [
                        {
                            "fullyQualifiedName": f["image_arn"],
                            "name": f["image_name"],
                            "kind": "resource",
                        }
                    ]
                }
            ],
            "properties": {
                "severity": f["severity"],
                "shared_account_id": f["account_id"],
                "permission": f["permission"],
                "mode": f["mode"],
            },
        }
        if f["status"] == "MUTED":
            result["suppressions"] = [
                {"kind": "external", "justification": f"exemption {f['exemption_id']}"}
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "govbot",
                        "version": __version__,
                        "rules": [
                            {
                                "id": rule,
                                "name": rule_type,
                                "shortDescription": {"text": f"govbot rule {rule} ({rule_type})"},
                            }
                            for rule, rule_type in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


def to_sarif(report: dict[str, Any]) -> str:
    """SARIF 2.1.0 JSON."""
    return json.dumps(sarif_log(report), indent=2)
