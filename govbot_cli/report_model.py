"""``govbot report``'s content, built from the inventory, the policy's verdicts and the ledger.

Pure: the command reads AppStream and the ledger, this module turns what was read into one
JSON-ready document that every format (md, csv, html, json) renders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from govbot.domain import SEVERITY_ORDER, ImageSnapshot
from govbot.ledger import ActionRecord, DecisionRecord, EventRecord, ExemptionRecord, format_ts
from govbot.policy import Evaluation, Policy
from govbot_cli.render import permissions_text
from govbot_cli.report_exposure import exposure_rows, exposure_summary

EXPIRING_WITHIN = timedelta(days=14)
# Prowler's finding statuses; an exempted share is muted (it would fail without its exemption).
STATUS_OF_OUTCOME = {"violation": "FAIL", "allowed": "PASS", "exempted": "MUTED"}
STATUSES = ("FAIL", "PASS", "MUTED")


def _share_how(evaluation: Evaluation, account: str, policy: Policy, org: frozenset[str]) -> str:
    verdicts = [v for v in evaluation.verdicts if v.account_id == account]
    if any(v.outcome == "violation" for v in verdicts):
        return "violation"
    if any(v.outcome == "exempted" for v in verdicts):
        return "exempted"
    return policy.trust_reason(account, org) or "allowed by policy"


def _images(
    evaluations: Sequence[tuple[ImageSnapshot, Evaluation]], policy: Policy, org: frozenset[str]
) -> list[dict[str, Any]]:
    return [
        {
            "image_arn": image.ref.arn,
            "name": image.ref.name,
            "account_id": image.ref.account_id,
            "region": image.ref.region,
            "state": image.state,
            "tags": dict(image.tags),
            "shares": [
                {
                    "account_id": s.account_id,
                    "permissions": permissions_text(s.permissions),
                    "how": _share_how(evaluation, s.account_id, policy, org),
                }
                for s in image.shared_with
            ],
            "violations": len(evaluation.violations()),
        }
        for image, evaluation in evaluations
    ]


def _findings(
    evaluations: Sequence[tuple[ImageSnapshot, Evaluation]],
    severities: frozenset[str],
    statuses: frozenset[str],
) -> list[dict[str, Any]]:
    """Every verdict as a finding (FAIL, PASS or MUTED), kept when it passes the filters."""
    rows = []
    for image, evaluation in evaluations:
        for v in evaluation.verdicts:
            status = STATUS_OF_OUTCOME[v.outcome]
            if v.severity not in severities or status not in statuses:
                continue
            rows.append(
                {
                    "image_arn": image.ref.arn,
                    "image_name": image.ref.name,
                    "owner_account_id": image.ref.account_id,
                    "region": image.ref.region,
                    "rule_id": v.rule_id,
                    "rule_type": v.rule_type,
                    "account_id": v.account_id,
                    "permission": v.permission,
                    "status": status,
                    "severity": v.severity,
                    "mode": v.mode,
                    "report_only": v.report_only,
                    "exemption_id": v.exemption_id,
                    "reason": v.reason,
                }
            )
    return rows


def _summary(
    findings: Sequence[dict[str, Any]],
    images: Sequence[ImageSnapshot],
    exemptions: Sequence[dict[str, Any]],
    inside: frozenset[str],
    expiring_days: int,
) -> dict[str, Any]:
    """What a security lead reads first."""
    open_by_severity = dict.fromkeys(reversed(SEVERITY_ORDER), 0)
    for f in findings:
        if f["status"] == "FAIL":
            open_by_severity[f["severity"]] += 1
    outside = sorted(
        i.ref.arn for i in images if any(s.account_id not in inside for s in i.shared_with)
    )
    return {
        "open_findings_by_severity": open_by_severity,
        "open_findings": sum(open_by_severity.values()),
        "images_shared_outside_organization": outside,
        "expiring_within_days": expiring_days,
        "exemptions_expiring": [e["id"] for e in exemptions if e["expiring_soon"]],
    }


def _exemptions(
    policy: Policy, granted: Sequence[ExemptionRecord], now: datetime, expiring: timedelta
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for e in policy.exemptions:
        rows.append(
            {
                "id": e.id,
                "source": "policy",
                "account_id": e.account,
                "permission": e.permission,
                "target": ",".join(e.images.names) or "selector",
                "expires": format_ts(e.expires),
                "approver": e.approver,
                "reason": e.reason,
                "_expires": e.expires,
            }
        )
    for r in granted:
        rows.append(
            {
                "id": r.exemption_id,
                "source": "slack",
                "account_id": r.account_id,
                "permission": r.permission,
                "target": r.image_arn or r.image_selector or "-",
                "expires": format_ts(r.expires_at),
                "approver": r.approver,
                "reason": r.reason,
                "_expires": r.expires_at,
            }
        )
    for row in rows:
        expires: datetime = row.pop("_expires")
        row["expired"] = expires <= now
        row["expiring_soon"] = now < expires <= now + expiring
    return rows


def _golden(policy: Policy, images: Sequence[ImageSnapshot]) -> list[dict[str, Any]]:
    names_in = {(i.ref.account_id, i.ref.region, i.ref.name) for i in images}
    rows = []
    for rule in policy.golden:
        for region in rule.destinations:
            sources = [
                i
                for i in images
                if i.ref.region != region and rule.selects(i.ref.name, dict(i.tags))
            ]
            covered = [i for i in sources if (i.ref.account_id, region, i.ref.name) in names_in]
            rows.append(
                {
                    "rule_id": rule.id,
                    "destination_region": region,
                    "sources": len(sources),
                    "copies_present": len(covered),
                    "missing": sorted(i.ref.name for i in sources if i not in covered),
                }
            )
    return rows


def _chart(
    images: Sequence[ImageSnapshot],
    decisions: Sequence[DecisionRecord],
    violations: Sequence[dict[str, Any]],
    regions_in_scope: Sequence[str],
) -> dict[str, Any]:
    """Shares now, and violations of the period (recorded by govbot, or open now) counted once
    per image, rule, account and permission; by region (every region in scope, even when
    empty) and by rule."""
    shares = Counter(i.ref.region for i in images for _ in i.shared_with)
    seen: dict[tuple[str, str, str, str], str] = {}
    for d in decisions:
        if d.outcome == "violation":
            seen[(d.image_arn or "-", d.rule_id, d.account_id, d.permission)] = d.region or "-"
    for v in violations:
        key = (v["image_arn"], v["rule_id"], v["account_id"] or "-", v["permission"] or "share")
        seen[key] = v["region"]
    by_region = Counter(seen.values())
    by_rule = Counter(rule for _, rule, _, _ in seen)
    regions = sorted(set(shares) | set(by_region) | set(regions_in_scope))
    return {
        "by_region": [
            {"region": r, "shares": shares.get(r, 0), "violations": by_region.get(r, 0)}
            for r in regions
        ],
        "by_rule": [{"rule_id": k, "violations": n} for k, n in sorted(by_rule.items())],
    }


def _ts(value: datetime | None) -> str | None:
    return format_ts(value) if value is not None else None


def account_label(account_id: str | None, names: dict[str, str]) -> str:
    """``111111111111 (shared-services)`` when the name is known, else the id."""
    if not account_id:
        return "-"
    name = names.get(account_id)
    return f"{account_id} ({name})" if name else account_id


def build_report(
    *,
    policy: Policy,
    policy_file: str,
    evaluations: Sequence[tuple[ImageSnapshot, Evaluation]],
    org_accounts: frozenset[str],
    granted: Sequence[ExemptionRecord],
    decisions: Sequence[DecisionRecord],
    actions: Sequence[ActionRecord],
    now: datetime,
    since: datetime,
    events: Sequence[EventRecord] = (),
    regions: Sequence[str] = (),
    accounts: Sequence[str] = (),
    account_names: dict[str, str] | None = None,
    severities: Sequence[str] = SEVERITY_ORDER,
    statuses: Sequence[str] = STATUSES,
    expiring_days: int = EXPIRING_WITHIN.days,
) -> dict[str, Any]:
    """The whole report as JSON-ready data.

    ``severities`` and ``statuses`` filter the findings (and so the open violations and the
    summary); ``accounts`` are the governed owners, inside the organisation with its members.
    """
    snapshots = [image for image, _ in evaluations]
    findings = _findings(evaluations, frozenset(severities), frozenset(statuses))
    violations = [{k: f[k] for k in _VIOLATION_KEYS} for f in findings if f["status"] == "FAIL"]
    exemptions = _exemptions(policy, granted, now, timedelta(days=expiring_days))
    names = {a.id: a.name for a in policy.trusted_accounts if a.name} | (account_names or {})
    inside = org_accounts | frozenset(accounts) | {i.ref.account_id for i in snapshots}
    return {
        "generated_at": format_ts(now),
        "since": format_ts(since),
        "policy": policy_file,
        "filters": {"severity": list(severities), "status": list(statuses)},
        "summary": _summary(findings, snapshots, exemptions, inside, expiring_days),
        "account_names": dict(sorted(names.items())),
        "images": _images(evaluations, policy, org_accounts),
        "findings": findings,
        "open_violations": violations,
        "exemptions": exemptions,
        "golden_coverage": _golden(policy, snapshots),
        "actions": [
            {
                "ts": _ts(a.timestamp()),
                "event_id": a.event_id,
                "operation": a.operation,
                "image_arn": a.image_arn,
                "shared_account_id": a.shared_account_id,
                "status": a.status,
            }
            for a in actions
        ],
        "exposure": exposure_summary(exposure_rows(events, decisions, actions)),
        "chart": _chart(snapshots, decisions, violations, regions),
    }


_VIOLATION_KEYS = (
    "image_arn", "region", "rule_id", "account_id", "permission", "mode", "severity", "reason",
)  # fmt: skip
