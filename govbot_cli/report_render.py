"""``govbot report`` renderers: the sections every table format shares, Markdown and JSON.

CSV is :mod:`govbot_cli.report_table`, HTML :mod:`govbot_cli.report_html`, OCSF and SARIF
:mod:`govbot_cli.report_formats`.
"""

from __future__ import annotations

import json
from typing import Any

from govbot_cli.report_model import account_label

Section = tuple[str, list[str], list[list[Any]]]


def _shares_text(image: dict[str, Any], names: dict[str, str]) -> str:
    return "; ".join(
        f"{account_label(s['account_id'], names)}:{s['permissions']} ({s['how']})"
        for s in image["shares"]
    )


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The summary block as sentences (md and html)."""
    summary = report["summary"]
    by_severity = ", ".join(f"{n} {s}" for s, n in summary["open_findings_by_severity"].items())
    outside = summary["images_shared_outside_organization"]
    expiring = summary["exemptions_expiring"]
    days = summary["expiring_within_days"]
    return [
        f"Open findings: {summary['open_findings']} ({by_severity})",
        f"Images shared outside the organisation: {len(outside)}"
        + (f" ({', '.join(outside)})" if outside else ""),
        f"Exemptions expiring within {days} days: {len(expiring)}"
        + (f" ({', '.join(expiring)})" if expiring else ""),
    ]


def exposure_sections(report: dict[str, Any]) -> list[Section]:
    """Exposure time: every revoke, then p50/p95 per ISO week and per rule."""
    exposure, names = report["exposure"], report.get("account_names", {})
    stats_headers = ["revokes", "p50 s", "p95 s", "max s"]

    def stats(row: dict[str, Any]) -> list[Any]:
        return [row["revokes"], row["p50_seconds"], row["p95_seconds"], row["max_seconds"]]

    return [
        (
            "Exposure time by ISO week (call to revoke)",
            ["week", *stats_headers],
            [[w["week"], *stats(w)] for w in exposure["by_week"]],
        ),
        (
            "Exposure time by rule",
            ["rule", *stats_headers],
            [[r["rule_id"], *stats(r)] for r in exposure["by_rule"]],
        ),
        (
            "Revoked grants",
            ["call (eventTime)", "revoked", "seconds", "image", "account", "rules", "event id"],
            [
                [
                    r["called_at"],
                    r["remedied_at"],
                    r["seconds"],
                    r["image_arn"],
                    account_label(r["shared_account_id"], names),
                    ",".join(r["rule_ids"]) or "-",
                    r["event_id"],
                ]
                for r in exposure["revokes"]
            ],
        ),
    ]


def sections(report: dict[str, Any]) -> list[Section]:
    """(title, headers, rows) of every table, shared by md and html."""
    names: dict[str, str] = report.get("account_names", {})
    return [
        (
            "Images in scope",
            ["image", "account", "region", "state", "shared with (how)", "violations"],
            [
                [
                    i["image_arn"],
                    account_label(i["account_id"], names),
                    i["region"],
                    i["state"],
                    _shares_text(i, names) or "nobody",
                    i["violations"],
                ]
                for i in report["images"]
            ],
        ),
        (
            "Open violations",
            ["image", "rule", "account", "permission", "mode", "severity", "reason"],
            [
                [
                    v["image_arn"],
                    v["rule_id"],
                    account_label(v["account_id"], names),
                    v["permission"],
                    v["mode"],
                    v["severity"],
                    v["reason"],
                ]
                for v in report["open_violations"]
            ],
        ),
        (
            "Exemptions",
            ["id", "source", "account", "permission", "target", "expires", "status", "approver"],
            [
                [
                    e["id"],
                    e["source"],
                    account_label(e["account_id"], names),
                    e["permission"],
                    e["target"],
                    e["expires"],
                    "expired"
                    if e["expired"]
                    else (
                        f"expires within {report['summary']['expiring_within_days']} days"
                        if e["expiring_soon"]
                        else "active"
                    ),
                    e["approver"],
                ]
                for e in report["exemptions"]
            ],
        ),
        (
            "Golden coverage by destination region",
            ["rule", "destination", "sources", "copies present", "missing"],
            [
                [
                    g["rule_id"],
                    g["destination_region"],
                    g["sources"],
                    g["copies_present"],
                    ", ".join(g["missing"]) or "-",
                ]
                for g in report["golden_coverage"]
            ],
        ),
        *exposure_sections(report),
        (
            f"Actions since {report['since']}",
            ["time", "event id", "operation", "image", "account", "status"],
            [
                [
                    a["ts"],
                    a["event_id"],
                    a["operation"],
                    a["image_arn"],
                    account_label(a["shared_account_id"], names),
                    a["status"],
                ]
                for a in report["actions"]
            ],
        ),
    ]


def title(report: dict[str, Any]) -> str:
    return f"govbot report ({report['generated_at']}, policy {report['policy']})"


def to_markdown(report: dict[str, Any]) -> str:
    """GitHub-flavoured Markdown tables."""

    def cell(value: Any) -> str:
        return str("-" if value in (None, "") else value).replace("|", "\\|")

    lines = [f"# {title(report)}", "", "## Summary", ""]
    lines += [f"- {line}" for line in summary_lines(report)] + [""]
    for heading, headers, rows in sections(report):
        lines += [f"## {heading}", ""]
        if not rows:
            lines += ["(none)", ""]
            continue
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def to_json(report: dict[str, Any]) -> str:
    """The report document itself."""
    return json.dumps(report, indent=2, sort_keys=True)
